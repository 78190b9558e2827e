# Edge: the two commands of the README, and the pieces they are made of.
#   make demo   compile the bundled demo model, inspect it, run it, benchmark it
#   make test   install what is missing, then run every test
SHELL := /bin/bash
EDGEC := .build/release/edgec
DEMO_DIR := out/demo

.PHONY: demo test deps build release embedded-check firmware firmware-deps fixtures bench backend clean

deps:
	@Tools/install_deps.sh

build: deps
	swift build

release: deps
	swift build -c release --product edgec
	swift build -c release --product edged

embedded-check:
	@Tools/check_embedded.sh

firmware-deps:
	@Tools/setup_cross.sh

# The device binary is built before the tests: `swift build` inside `swift test`
# would deadlock on the build lock. DeviceTests run it under qemu-aarch64.
# Plus a build with ResNet-18's op set only (operator selection) and neither the Winograd
# nor the depthwise conv kernel (kernel selection: those convs take the general path), for
# OperatorSelectionTests.
RESNET18_OPS := conv,gemm,maxPool,globalAveragePool,binary
firmware: firmware-deps
	$(MAKE) -C Firmware
	$(MAKE) -C Firmware OUT=$(CURDIR)/Firmware/build/select-resnet18 OPS=$(RESNET18_OPS) CONV_KERNELS= \
	    $(CURDIR)/Firmware/build/select-resnet18/aarch64/edge-run

test: deps embedded-check firmware
	swift build --build-tests
	EDGE_REQUIRE_DEVICE=1 swift test --skip-build --disable-swift-testing

demo: release
	@Tools/demo.sh

fixtures:
	python3 -m pip install -q -r Tools/requirements.txt
	python3 Tools/make_fixtures.py
	swift build --product edgec && python3 Tools/make_prune_fixtures.py

bench: release
	python3 -m pip install -q -r Tools/requirements.txt
	python3 Tools/bench_vs_ort.py --edgec $(EDGEC)

backend: release
	python3 -m pip install -q -r Tools/requirements.txt
	python3 Tools/onnx_backend_check.py --edgec $(EDGEC)

clean:
	rm -rf .build out
