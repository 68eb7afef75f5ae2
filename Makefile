# The two commands a newcomer needs: `make demo` (main job on the simulated robot) and `make test`.
.PHONY: setup demo test lint colcon clean
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

setup:
	@bash scripts/setup.sh

demo: setup
	$(VENV)/bin/vtg demo

lint: setup
	$(VENV)/bin/ruff check visuotactile_grasp test launch scripts benchmarks

test: lint
	$(VENV)/bin/python -m pytest -q test

# A real colcon build of the repository as an ordinary ROS 2 workspace (what CI runs).
colcon: setup
	bash scripts/colcon_build.sh

clean:
	rm -rf build install log $(VENV) out
