"""Edge's host-side Python helpers, shared by the Tools/ scripts.

    edgetools.common    seeds, finding edgec, the repository root
    edgetools.models    ONNX graph builders (ResNet-18, VGG, MobileNets, YOLO-tiny), defined once
    edgetools.fixtures  the fixture case writer (case.json + .npy files) and the generator registry

Scripts in Tools/ put Tools/ on sys.path and import from here; nothing here runs on import.
"""
