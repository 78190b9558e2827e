// Host build of the device agent; the device build calls AgentMain.run (or, with the
// fleet client, FleetMain.run) from its C main.
import CEdgeAgentSupport
import EdgeFleet

edge_exit(FleetMain.run(CommandLine.arguments))
