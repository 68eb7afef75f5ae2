"""rosbag2 files (MCAP, sqlite3) without ROS: typestore, recorder, checked reading, offline replay."""
