# Device build of the agent `edged` (included by Firmware/Makefile; uses its aarch64
# toolchain variables). Like edge-run it is one Embedded Swift module: the runtime
# (EdgeFormat, EdgeRuntime), ROMA's decoder and selector (EdgeRoma), the agent (EdgeWire,
# EdgeTrust, EdgeTransfer, EdgeAgent), its fleet client (EdgeFleet: `edged --mqtt`,
# Formats/FLEET.md) and AgentMain/EdgedMain.swift, whose `import X` lines resolve to empty
# stub modules. The C parts (protobuf-c messages, the agent's socket/thread/fsync shim, the
# libmosquitto shim) are compiled with the cross gcc; libprotobuf-c, libsodium, libmosquitto
# and libz come from Debian's arm64 packages (Tools/setup_cross.sh).
#
#   make -C Firmware edged          build/aarch64/edged (+ stripped/edged)
#   make -C Firmware edged-smoke    starts it under qemu-aarch64 and asks for --help

AGENT_SWIFT_SOURCES := $(FORMAT_SOURCES) $(RUNTIME_SOURCES) \
    $(sort $(wildcard $(ROOT)/Sources/EdgeRoma/*.swift)) \
    $(sort $(wildcard $(ROOT)/Sources/EdgeWire/*.swift)) \
    $(sort $(wildcard $(ROOT)/Sources/EdgeTrust/*.swift)) \
    $(sort $(wildcard $(ROOT)/Sources/EdgeTransfer/*.swift)) \
    $(sort $(wildcard $(ROOT)/Sources/EdgeAgent/*.swift)) \
    $(sort $(wildcard $(ROOT)/Sources/EdgeFleet/*.swift)) \
    $(sort $(wildcard $(FW)/AgentMain/*.swift))
AGENT_C_INCLUDES := -I $(ROOT)/Sources/CEdgeWire/include -I $(ROOT)/Sources/CEdgeSodium/include \
    -I $(ROOT)/Sources/CEdgeAgentSupport/include -I $(ROOT)/Sources/CEdgeMqtt/include
AGENT_C_SOURCES := $(ROOT)/Sources/CEdgeWire/edge_wire.pb-c.c $(ROOT)/Sources/CEdgeAgentSupport/edge_agent_support.c \
    $(ROOT)/Sources/CEdgeMqtt/edge_mqtt.c
AGENT_HEADERS := $(C_HEADERS) $(wildcard $(ROOT)/Sources/CEdgeWire/include/*) \
    $(wildcard $(ROOT)/Sources/CEdgeAgentSupport/include/*) $(wildcard $(ROOT)/Sources/CEdgeSodium/include/*) \
    $(wildcard $(ROOT)/Sources/CEdgeMqtt/include/*)
AGENT_LIBS := -lprotobuf-c -lsodium -lmosquitto -lpthread $(LIBS)
AGENT_OBJ := $(OUT)/aarch64/obj-agent
AGENT_STUBS := EdgeFormat EdgeRuntime EdgeRoma EdgeWire EdgeTrust EdgeTransfer EdgeAgent EdgeFleet

.PHONY: edged edged-smoke
edged: $(OUT)/aarch64/stripped/edged
aarch64: $(OUT)/aarch64/stripped/edged

$(AGENT_OBJ)/stub/%.swiftmodule: $(FW)/agent.mk | tools-aarch64
	@mkdir -p $(@D)
	@: > $(@D)/empty.swift
	$(call say,STUB   $* (agent))
	$(Q)$(aarch64_SWIFTC) -module-name $* -emit-module -emit-module-path $@ $(@D)/empty.swift

$(AGENT_OBJ)/edged.o: $(AGENT_SWIFT_SOURCES) $(AGENT_HEADERS) $(FW)/agent.mk $(AGENT_STUBS:%=$(AGENT_OBJ)/stub/%.swiftmodule)
	$(call say,SWIFTC $(@F) (aarch64, one module))
	$(Q)$(aarch64_SWIFTC) $(AGENT_C_INCLUDES) -I $(AGENT_OBJ)/stub -module-name Edged -c $(AGENT_SWIFT_SOURCES) -o $@

$(AGENT_OBJ)/%.o: $(ROOT)/Sources/*/%.c $(AGENT_HEADERS) | tools-aarch64
	@mkdir -p $(@D)
	$(call say,CC     $(@F) (aarch64))
	$(Q)$(aarch64_CC) -Os -fPIC -ffunction-sections -fdata-sections $(AGENT_C_INCLUDES) -c $< -o $@

AGENT_OBJECTS := $(AGENT_OBJ)/edged.o $(patsubst %.c,$(AGENT_OBJ)/%.o,$(notdir $(AGENT_C_SOURCES)))
# The runtime's own C (Edge's GEMM kernels, the thread pool), built once by Firmware/Makefile.
AGENT_OBJECTS += $(aarch64_C_OBJECTS)

$(OUT)/aarch64/edged: $(AGENT_OBJECTS) $(aarch64_LINK_EXTRA)
	$(call say,LINK   aarch64/edged)
	$(Q)$(aarch64_CC) $^ $(LINK_FLAGS) -o $@ $(AGENT_LIBS)

$(OUT)/aarch64/stripped/edged: $(OUT)/aarch64/edged
	@mkdir -p $(@D)
	$(call say,STRIP  aarch64/stripped/edged)
	$(Q)$(aarch64_STRIP) -o $@ $<

edged-smoke: edged
	$(aarch64_QEMU) $(OUT)/aarch64/stripped/edged --help
