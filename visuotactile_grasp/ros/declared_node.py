"""A Node that creates only the endpoints declared for its executable (graph/interfaces.py).

Every create_publisher / create_subscription / create_service / create_client goes through the check,
whichever code calls it (the node, Diagnostics, RobotSteps), so an endpoint missing from the
declaration, or of another type, stops the node at start-up with its name instead of going unnoticed
by the graph. Actions have no create_* in rclpy: create them with action_server / action_client,
which check; an ActionServer or ActionClient built directly on the node is refused.
"""
from __future__ import annotations

from rclpy.action import ActionClient, ActionServer
from rclpy.node import Node

from ..graph.interfaces import Interface, ros_own


class UndeclaredEndpoint(RuntimeError):
    pass


def type_name(cls) -> str:
    """rclpy message, service or action class -> 'pkg/msg|srv|action/Type'."""
    package, kind = cls.__module__.split(".")[:2]
    return f"{package}/{kind}/{cls.__name__}"


class DeclaredNode(Node):
    def __init__(self, node_name: str, interface: Interface | None = None, **kwargs) -> None:
        self._interface: Interface | None = None
        self._building_action = False
        super().__init__(node_name, **kwargs)  # creates rclpy's own endpoints (interfaces.ros_own)
        if interface is not None:
            self.declare_interface(interface)

    def declare_interface(self, interface: Interface) -> None:
        """For a node whose endpoints depend on a parameter (the GelSight's side): before creating any."""
        self._interface = interface

    def _check(self, kind: str, name: str, cls) -> None:
        node = self.get_fully_qualified_name()
        # declared names are absolute, before any remapping (topics.py: remap in the graph, not in a node)
        resolve = self.resolve_service_name if kind in ("service", "client") else self.resolve_topic_name
        name = resolve(name, only_expand=True)
        if ros_own(kind, name, node):
            return
        if self._interface is None:
            raise UndeclaredEndpoint(f"{node}: {kind} {name} created before declare_interface()")
        if not self._interface.allows(kind, name, type_name(cls)):
            raise UndeclaredEndpoint(f"{node}: {kind} {name} [{type_name(cls)}] is not in the node's declaration "
                                     "(graph/interfaces.py): declare it there, where the graph reads it too")

    def create_publisher(self, msg_type, topic, *args, **kwargs):
        self._check("publisher", topic, msg_type)
        return super().create_publisher(msg_type, topic, *args, **kwargs)

    def create_subscription(self, msg_type, topic, *args, **kwargs):
        self._check("subscription", topic, msg_type)
        return super().create_subscription(msg_type, topic, *args, **kwargs)

    def create_service(self, srv_type, srv_name, *args, **kwargs):
        self._check("service", srv_name, srv_type)
        return super().create_service(srv_type, srv_name, *args, **kwargs)

    def create_client(self, srv_type, srv_name, *args, **kwargs):
        self._check("client", srv_name, srv_type)
        return super().create_client(srv_type, srv_name, *args, **kwargs)

    def action_server(self, action_type, action_name: str, *args, **kwargs) -> ActionServer:
        self._check("action server", action_name, action_type)
        return self._build_action(ActionServer, action_type, action_name, *args, **kwargs)

    def action_client(self, action_type, action_name: str, *args, **kwargs) -> ActionClient:
        self._check("action client", action_name, action_type)
        return self._build_action(ActionClient, action_type, action_name, *args, **kwargs)

    def _build_action(self, cls, *args, **kwargs):
        self._building_action = True
        try:
            return cls(self, *args, **kwargs)
        finally:
            self._building_action = False

    def add_waitable(self, waitable) -> None:
        if isinstance(waitable, (ActionServer, ActionClient)) and not self._building_action:
            raise UndeclaredEndpoint(f"{self.get_fully_qualified_name()}: {type(waitable).__name__} built directly; "
                                     "create it with action_server() / action_client(), which check the declaration")
        super().add_waitable(waitable)
