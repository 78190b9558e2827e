// Host build of the device agent; the device build calls AgentMain.run from its C main.
import CEdgeAgentSupport
import EdgeAgent

edge_exit(AgentMain.run(CommandLine.arguments))
