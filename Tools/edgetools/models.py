"""ONNX graph builders for Edge's test fixtures and benchmarks.

The models here are built directly with ``onnx.helper`` (no PyTorch), but they are
shaped like what ``torch.onnx.export`` produces: node names follow the module path
("/layer1/layer1.0/conv1/Conv"), tensor names are "<node name>_output_0", parameters
are named like state-dict entries ("layer1.0.conv1.weight"), and the graphs carry the
usual export noise (Constant nodes, Identity, Dropout, BatchNormalization with
non-trivial statistics, the Shape/Gather/Unsqueeze/Concat flatten idiom).

Every model builder takes a width multiplier and a class count, so one function makes
the small fixture version and the full-size benchmark version. Weights are seeded
(``np.random.default_rng(seed)``) with He-style scaling so activations stay O(1).

Public entry points:
    GraphBuilder                 the builder class
    resnet18, resnet18_cifar, vgg11_bn, vgg16_bn_cifar, mobilenet_v2, mobilenet_v3_small, yolo_tiny
    VGG_CONFIGS, vgg_features     the VGG layer tables and feature stack
    MODELS                       name -> builder
    build_model(name, **kw)      same, by name
    random_inputs(model, shapes, seed)
    run_onnxruntime(model, feeds, optimize=False)
    check_output_scale(model, feeds, lo=0.05, hi=50)
"""

from __future__ import annotations

import contextlib
import math
from typing import Dict, Iterable, List, Optional, Sequence, Union

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

Dim = Union[int, str]

__all__ = [
    "GraphBuilder",
    "make_divisible",
    "resnet18",
    "resnet18_cifar",
    "vgg11_bn",
    "vgg16_bn_cifar",
    "VGG_CONFIGS",
    "vgg_features",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "yolo_tiny",
    "MODELS",
    "build_model",
    "graph_input_shapes",
    "symbolic_inputs",
    "random_inputs",
    "run_onnxruntime",
    "check_output_scale",
    "op_types",
]


def make_divisible(v: float, divisor: int = 8, min_value: Optional[int] = None) -> int:
    """torchvision's channel rounding (never goes down by more than 10%)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class GraphBuilder:
    """Accumulates nodes, initializers and graph inputs/outputs with torch-like names.

    Use ``with b.scope("layer1", "layer1.0"):`` to enter module scopes; node names are
    "/" + "/".join(scopes) + "/" + op_type (made unique with "_1", "_2", ... as torch
    does), parameters are named after the dotted module path.
    """

    def __init__(self, name: str = "graph", seed: int = 0, opset: int = 13):
        self.name = name
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes: List[onnx.NodeProto] = []
        self.initializers: List[onnx.TensorProto] = []
        self.inputs: List[onnx.ValueInfoProto] = []
        self.outputs: List[str] = []
        self.extra_opsets: Dict[str, int] = {}
        self._output_shapes: Dict[str, List[Dim]] = {}
        self._scope: List[str] = []
        self._node_names: set = set()
        self._tensor_names: set = set()

    # ------------------------------------------------------------------ naming
    @contextlib.contextmanager
    def scope(self, *parts: str):
        self._scope.extend(parts)
        try:
            yield self
        finally:
            del self._scope[len(self._scope) - len(parts):]

    def module_path(self, extra: Optional[str] = None) -> str:
        """Dotted module path: ["layer1", "layer1.0", "conv1"] -> "layer1.0.conv1",
        ["layer2", "layer2.0", "downsample", "downsample.0"] -> "layer2.0.downsample.0"."""
        path, last = "", ""
        for part in self._scope + ([extra] if extra else []):
            if last and part.startswith(last + "."):   # "downsample" then "downsample.0"
                path = path[: len(path) - len(last)] + part
            else:
                path = f"{path}.{part}" if path else part
            last = part
        return path

    def _unique_node_name(self, op_type: str) -> str:
        base = "/" + "/".join(self._scope + [op_type])
        name, i = base, 0
        while name in self._node_names:
            i += 1
            name = f"{base}_{i}"
        self._node_names.add(name)
        return name

    def _unique_tensor_name(self, name: str) -> str:
        out, i = name, 0
        while out in self._tensor_names:
            i += 1
            out = f"{name}_{i}"
        self._tensor_names.add(out)
        return out

    # ------------------------------------------------------------------ graph I/O
    def input(self, name: str, shape: Sequence[Dim], elem_type: int = TensorProto.FLOAT) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, list(shape)))
        self._tensor_names.add(name)
        return name

    def output(self, tensor: str, name: Optional[str] = None,
               shape: Optional[Sequence[Dim]] = None) -> str:
        """Marks ``tensor`` as a graph output; with ``name``, renames it (the producing
        node's output is renamed). ``shape`` declares its shape (as torch exports do);
        otherwise the shape comes from ONNX shape inference."""
        if name and name != tensor:
            for node in self.nodes:
                for i, o in enumerate(node.output):
                    if o == tensor:
                        node.output[i] = name
                for i, inp in enumerate(node.input):
                    if inp == tensor:
                        node.input[i] = name
            self.outputs = [name if o == tensor else o for o in self.outputs]
            tensor = name
            self._tensor_names.add(name)
        if shape is not None:
            self._output_shapes[tensor] = list(shape)
        self.outputs.append(tensor)
        return tensor

    def param(self, local_name: str, array: np.ndarray, module: Optional[str] = None) -> str:
        """An initializer named "<module path>.<local_name>"."""
        path = self.module_path(module)
        name = self._unique_tensor_name(f"{path}.{local_name}" if path else local_name)
        self.initializers.append(numpy_helper.from_array(np.array(array, order="C"), name))
        return name

    def initializer(self, name: str, array: np.ndarray) -> str:
        name = self._unique_tensor_name(name)
        self.initializers.append(numpy_helper.from_array(np.array(array, order="C"), name))
        return name

    # ------------------------------------------------------------------ nodes
    def node(
        self,
        op_type: str,
        inputs: Sequence[str],
        n_out: int = 1,
        domain: Optional[str] = None,
        name: Optional[str] = None,
        **attrs,
    ) -> Union[str, List[str]]:
        node_name = self._unique_node_name(name or op_type)
        outs = [self._unique_tensor_name(f"{node_name}_output_{i}") for i in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        node = helper.make_node(op_type, list(inputs), outs, name=node_name, domain=domain, **attrs)
        self.nodes.append(node)
        return outs[0] if n_out == 1 else outs

    def constant(self, value, dtype=None) -> str:
        """A ``Constant`` node (torch exports shape arithmetic constants this way)."""
        arr = np.asarray(value, dtype=dtype)
        node_name = self._unique_node_name("Constant")
        out = self._unique_tensor_name(f"{node_name}_output_0")
        self.nodes.append(
            helper.make_node("Constant", [], [out], name=node_name,
                             value=numpy_helper.from_array(arr))
        )
        return out

    def i64(self, values) -> str:
        return self.constant(np.asarray(values, dtype=np.int64))

    # ------------------------------------------------------------------ layers
    def he_normal(self, shape, fan_in: int, gain: float = math.sqrt(2.0)) -> np.ndarray:
        std = gain / math.sqrt(max(1, fan_in))
        return (self.rng.standard_normal(shape) * std).astype(np.float32)

    def conv(
        self,
        x: str,
        cin: int,
        cout: int,
        k: Union[int, Sequence[int]],
        stride: Union[int, Sequence[int]] = 1,
        pad: Union[None, int, Sequence[int]] = None,
        groups: int = 1,
        dilation: int = 1,
        bias: bool = False,
        module: Optional[str] = None,
        gain: float = math.sqrt(2.0),
        kernel_shape_attr: bool = True,
    ) -> str:
        kh, kw = (k, k) if isinstance(k, int) else tuple(k)
        sh, sw = (stride, stride) if isinstance(stride, int) else tuple(stride)
        if pad is None:
            pad = [dilation * (kh - 1) // 2, dilation * (kw - 1) // 2] * 2
        elif isinstance(pad, int):
            pad = [pad] * 4
        fan_in = cin // groups * kh * kw
        with self.scope(*( [module] if module else [] )):
            w = self.param("weight", self.he_normal((cout, cin // groups, kh, kw), fan_in, gain))
            ins = [x, w]
            if bias:
                ins.append(self.param("bias", (self.rng.standard_normal(cout) * 0.1).astype(np.float32)))
            return self.node(
                "Conv", ins,
                dilations=[dilation, dilation],
                group=groups,
                kernel_shape=[kh, kw] if kernel_shape_attr else None,
                pads=list(pad),
                strides=[sh, sw],
            )

    def bn(self, x: str, c: int, module: Optional[str] = None, gamma_scale: float = 1.0,
           eps: float = 1e-5) -> str:
        """Inference BatchNormalization with random, non-trivial statistics.

        The affine map keeps the second moment roughly unchanged: var ~ U(0.5, 2),
        mean ~ N(0, 0.2), gamma ~ U(0.7, 1.3) * sqrt(var) * gamma_scale, beta ~ N(0, 0.1).
        """
        r = self.rng
        var = r.uniform(0.5, 2.0, c).astype(np.float32)
        mean = (r.standard_normal(c) * 0.2).astype(np.float32)
        gamma = (r.uniform(0.7, 1.3, c) * np.sqrt(var) * gamma_scale).astype(np.float32)
        beta = (r.standard_normal(c) * 0.1).astype(np.float32)
        with self.scope(*( [module] if module else [] )):
            names = [
                self.param("weight", gamma),
                self.param("bias", beta),
                self.param("running_mean", mean),
                self.param("running_var", var),
            ]
            return self.node("BatchNormalization", [x] + names, epsilon=eps, momentum=0.9)

    def relu(self, x: str, module: Optional[str] = None) -> str:
        with self.scope(*( [module] if module else [] )):
            return self.node("Relu", [x])

    def clip(self, x: str, lo: Optional[float], hi: Optional[float], module: Optional[str] = None) -> str:
        """Clip; attributes below opset 11, ``Constant`` min/max inputs from 11 on."""
        with self.scope(*( [module] if module else [] )):
            if self.opset < 11:
                return self.node("Clip", [x], min=lo, max=hi)
            ins = [x]
            ins.append(self.constant(np.float32(lo)) if lo is not None else "")
            if hi is not None:
                ins.append(self.constant(np.float32(hi)))
            while ins and ins[-1] == "":
                ins.pop()
            return self.node("Clip", ins)

    def relu6(self, x: str, module: Optional[str] = None) -> str:
        return self.clip(x, 0.0, 6.0, module)

    def leaky_relu(self, x: str, alpha: float = 0.1, module: Optional[str] = None) -> str:
        with self.scope(*( [module] if module else [] )):
            return self.node("LeakyRelu", [x], alpha=alpha)

    def sigmoid(self, x: str, module: Optional[str] = None) -> str:
        with self.scope(*( [module] if module else [] )):
            return self.node("Sigmoid", [x])

    def silu(self, x: str, module: Optional[str] = None) -> str:
        """SiLU the way torch exports it: Mul(x, Sigmoid(x))."""
        with self.scope(*( [module] if module else [] )):
            s = self.node("Sigmoid", [x])
            return self.node("Mul", [x, s])

    def hardsigmoid(self, x: str, module: Optional[str] = None) -> str:
        with self.scope(*( [module] if module else [] )):
            return self.node("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)

    def hardswish(self, x: str, module: Optional[str] = None, decomposed: bool = False) -> str:
        """HardSwish (opset 14) or, decomposed, Mul(x, HardSigmoid(x))."""
        with self.scope(*( [module] if module else [] )):
            if decomposed or self.opset < 14:
                hs = self.node("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)
                return self.node("Mul", [x, hs])
            return self.node("HardSwish", [x])

    def add(self, a: str, b: str) -> str:
        return self.node("Add", [a, b])

    def mul(self, a: str, b: str) -> str:
        return self.node("Mul", [a, b])

    def maxpool(self, x: str, k: int, stride: int, pad: int = 0, module: Optional[str] = None,
                ceil_mode: int = 0) -> str:
        with self.scope(*( [module] if module else [] )):
            return self.node("MaxPool", [x], ceil_mode=ceil_mode, kernel_shape=[k, k],
                             pads=[pad] * 4, strides=[stride, stride])

    def global_avgpool(self, x: str, module: Optional[str] = None) -> str:
        with self.scope(*( [module] if module else [] )):
            return self.node("GlobalAveragePool", [x])

    def identity(self, x: str) -> str:
        return self.node("Identity", [x])

    def dropout(self, x: str, ratio: float = 0.5, module: Optional[str] = None,
                ratio_input: bool = True) -> str:
        """Inference-mode Dropout (a no-op the compiler should drop)."""
        with self.scope(*( [module] if module else [] )):
            if self.opset < 12:
                return self.node("Dropout", [x], ratio=ratio)
            if ratio_input:
                return self.node("Dropout", [x, self.constant(np.float32(ratio))])
            return self.node("Dropout", [x])

    def flatten(self, x: str, style: str = "flatten") -> str:
        """Flatten from axis 1: a ``Flatten`` node, or torch's shape idiom
        Shape -> Gather(0) -> Unsqueeze -> Concat(., [-1]) -> Reshape."""
        if style == "flatten":
            return self.node("Flatten", [x], axis=1)
        if style != "shape_chain":
            raise ValueError(style)
        shape = self.node("Shape", [x])
        idx = self.constant(np.int64(0))
        n = self.node("Gather", [shape, idx], axis=0)
        n1 = self.unsqueeze(n, [0])
        minus1 = self.i64([-1])
        target = self.node("Concat", [n1, minus1], axis=0)
        return self.node("Reshape", [x, target])

    def unsqueeze(self, x: str, axes: Sequence[int]) -> str:
        if self.opset < 13:
            return self.node("Unsqueeze", [x], axes=list(axes))
        return self.node("Unsqueeze", [x, self.i64(list(axes))])

    def reshape(self, x: str, shape: Sequence[int]) -> str:
        return self.node("Reshape", [x, self.i64(list(shape))])

    def transpose(self, x: str, perm: Sequence[int]) -> str:
        return self.node("Transpose", [x], perm=list(perm))

    def concat(self, xs: Sequence[str], axis: int) -> str:
        return self.node("Concat", list(xs), axis=axis)

    def resize_nearest(self, x: str, scale: float, module: Optional[str] = None) -> str:
        """Nearest upsampling with a scales input (roi left empty from opset 13)."""
        with self.scope(*( [module] if module else [] )):
            scales = self.constant(np.array([1, 1, scale, scale], dtype=np.float32))
            if self.opset >= 13:
                ins = [x, "", scales]
            elif self.opset >= 11:
                ins = [x, self.constant(np.zeros(0, np.float32)), scales]
            else:
                return self.node("Upsample", [x, scales], mode="nearest")
            return self.node("Resize", ins, coordinate_transformation_mode="asymmetric",
                             mode="nearest", nearest_mode="floor")

    def linear(self, x: str, cin: int, cout: int, module: Optional[str] = None,
               gain: float = 1.0, bias: bool = True) -> str:
        """torch.nn.Linear on 2-D input: Gemm(transB=1)."""
        with self.scope(*( [module] if module else [] )):
            w = self.param("weight", self.he_normal((cout, cin), cin, gain))
            ins = [x, w]
            if bias:
                ins.append(self.param("bias", (self.rng.standard_normal(cout) * 0.1).astype(np.float32)))
            return self.node("Gemm", ins, alpha=1.0, beta=1.0, transB=1)

    # ------------------------------------------------------------------ finish
    def make_model(self, producer: str = "edge_models", infer_output_types: bool = True,
                   doc: str = "") -> onnx.ModelProto:
        shapes = self._output_shapes
        outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes.get(o))
                   for o in self.outputs]
        graph = helper.make_graph(self.nodes, self.name, self.inputs, outputs,
                                  initializer=self.initializers, doc_string=doc or None)
        opsets = [helper.make_opsetid("", self.opset)]
        opsets += [helper.make_opsetid(d, v) for d, v in self.extra_opsets.items()]
        model = helper.make_model(graph, opset_imports=opsets, producer_name=producer)
        if infer_output_types:
            fill_output_types(model)
        return model


def fill_output_types(model: onnx.ModelProto) -> None:
    """Copies inferred types/shapes of graph outputs into the graph (no value_info kept)."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for out in probe.graph.output:
        out.ClearField("type")  # inference only reports outputs it has to fill in
    try:
        inferred = onnx.shape_inference.infer_shapes(probe, data_prop=True)
    except Exception:  # pragma: no cover - keep whatever is declared
        return
    known = {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for out in model.graph.output:
        if out.type.tensor_type.HasField("shape"):
            continue
        vi = known.get(out.name)
        if vi is not None and vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
            out.type.CopyFrom(vi.type)


# ====================================================================== models


def _ch(c: int, width: float, divisor: int = 1) -> int:
    if divisor > 1:
        return make_divisible(c * width, divisor)
    return max(1, int(round(c * width)))


def resnet18(width: float = 1.0, num_classes: int = 1000, seed: int = 0, opset: int = 13,
             flatten: str = "shape_chain", dynamic_hw: bool = True, stem: str = "imagenet",
             input_size: int = 224, name: str = "resnet18", doc: Optional[str] = None) -> onnx.ModelProto:
    """ResNet-18 (BasicBlock, projection shortcuts). Input "input" [1, 3, height, width]
    (static [1, 3, input_size, input_size] with ``dynamic_hw=False``).

    ``stem="imagenet"``: Conv7x7/2 + max-pool (torchvision); ``stem="cifar"``: Conv3x3/1
    without max-pool (the usual CIFAR variant)."""
    b = GraphBuilder(name, seed, opset)
    hw = ["height", "width"] if dynamic_hw else [input_size, input_size]
    x = b.input("input", [1, 3] + hw)
    c0 = _ch(64, width)
    if stem == "cifar":
        x = b.conv(x, 3, c0, 3, 1, 1, module="conv1")
    else:
        x = b.conv(x, 3, c0, 7, 2, 3, module="conv1")
    x = b.bn(x, c0, module="bn1")
    x = b.relu(x, module="relu")
    if stem != "cifar":
        x = b.maxpool(x, 3, 2, 1, module="maxpool")
    cin = c0
    for li, (c, stride) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)], start=1):
        cout = _ch(c, width)
        for bi in range(2):
            s = stride if bi == 0 else 1
            with b.scope(f"layer{li}", f"layer{li}.{bi}"):
                identity = x
                out = b.conv(x, cin, cout, 3, s, 1, module="conv1")
                out = b.bn(out, cout, module="bn1")
                out = b.relu(out, module="relu")
                out = b.conv(out, cout, cout, 3, 1, 1, module="conv2")
                out = b.bn(out, cout, module="bn2", gamma_scale=0.5)
                if s != 1 or cin != cout:
                    with b.scope("downsample"):
                        identity = b.conv(x, cin, cout, 1, s, 0, module="downsample.0")
                        identity = b.bn(identity, cout, module="downsample.1", gamma_scale=0.5)
                x = b.add(out, identity)
                x = b.relu(x, module="relu")
            cin = cout
    x = b.global_avgpool(x, module="avgpool")
    x = b.flatten(x, flatten)
    x = b.linear(x, cin, num_classes, module="fc")
    b.output(x, "output", shape=[1, num_classes])
    return b.make_model(doc=doc or f"ResNet-18 width={width} classes={num_classes} seed={seed}")


# VGG feature configurations (channels per 3x3 conv, "M" = 2x2 max-pool).
VGG_CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


def vgg_features(b: "GraphBuilder", x: str, config: str, width: float = 1.0) -> tuple:
    """The VGG-BN feature stack under scope "features": Conv3x3 (bias) + BN + Relu per
    entry, MaxPool 2x2 per "M", torchvision's module indices. Returns (x, channels, spatial
    divisor)."""
    cin, idx, div = 3, 0, 1
    with b.scope("features"):
        for v in VGG_CONFIGS[config]:
            if v == "M":
                x = b.maxpool(x, 2, 2, 0, module=f"features.{idx}")
                idx += 1
                div *= 2
                continue
            c = _ch(v, width)
            x = b.conv(x, cin, c, 3, 1, 1, bias=True, module=f"features.{idx}")
            x = b.bn(x, c, module=f"features.{idx + 1}")
            x = b.relu(x, module=f"features.{idx + 2}")
            idx += 3
            cin = c
    return x, cin, div


def vgg11_bn(width: float = 1.0, num_classes: int = 1000, seed: int = 0, opset: int = 13,
             input_size: int = 224, pool: str = "gap", hidden: Optional[int] = None
             ) -> onnx.ModelProto:
    """VGG-11 with BatchNorm. Static input "input" [1, 3, input_size, input_size].

    ``pool="gap"`` ends the features with GlobalAveragePool (the classifier then takes C
    inputs); ``pool="none"`` flattens C*h*w (for 224 input this is torchvision's 7x7)."""
    b = GraphBuilder("vgg11_bn", seed, opset)
    x = b.input("input", [1, 3, input_size, input_size])
    x, cin, div = vgg_features(b, x, "vgg11", width)
    size = input_size // div
    x = b.identity(x)
    if pool == "gap":
        x = b.global_avgpool(x, module="avgpool")
        feat = cin
    else:
        feat = cin * size * size
    x = b.flatten(x, "flatten")
    h = hidden if hidden is not None else _ch(4096, width)
    with b.scope("classifier"):
        x = b.linear(x, feat, h, module="classifier.0", gain=math.sqrt(2.0))
        x = b.relu(x, module="classifier.1")
        x = b.dropout(x, 0.5, module="classifier.2")
        x = b.linear(x, h, h, module="classifier.3", gain=math.sqrt(2.0))
        x = b.relu(x, module="classifier.4")
        x = b.dropout(x, 0.5, module="classifier.5", ratio_input=False)
        x = b.linear(x, h, num_classes, module="classifier.6")
    b.output(x, "output")
    return b.make_model(doc=f"VGG-11-BN width={width} classes={num_classes} seed={seed}")


def vgg16_bn_cifar(seed: int = 0, num_classes: int = 10, hidden: int = 512) -> onnx.ModelProto:
    """VGG-16-BN for 32x32 input: 13 x (Conv3x3 with bias, BN, Relu), 5 max-pools (1x1x512
    left), Flatten -> Gemm(512->hidden) -> Relu -> Gemm(hidden->classes)."""
    b = GraphBuilder("vgg16_bn", seed, 13)
    x = b.input("input", [1, 3, 32, 32])
    x, cin, _ = vgg_features(b, x, "vgg16")
    x = b.flatten(x, "flatten")
    with b.scope("classifier"):
        x = b.linear(x, cin, hidden, module="classifier.0", gain=math.sqrt(2.0))
        x = b.relu(x, module="classifier.1")
        x = b.linear(x, hidden, num_classes, module="classifier.2")
    b.output(x, "output")
    return b.make_model(doc=f"VGG-16-BN CIFAR (32x32) classes={num_classes} seed={seed}")


def resnet18_cifar(seed: int = 0, num_classes: int = 10) -> onnx.ModelProto:
    """ResNet-18 for 32x32 input: Conv3x3(64) stem without max-pool, 4 stages of 2 BasicBlocks
    (64, 128/2, 256/2, 512/2) with Conv1x1+BN projections, GAP, Flatten, Gemm(512->classes)."""
    return resnet18(num_classes=num_classes, seed=seed, flatten="flatten", dynamic_hw=False, stem="cifar",
                    input_size=32, name="resnet18_cifar",
                    doc=f"ResNet-18 CIFAR (32x32) classes={num_classes} seed={seed}")


def _conv_bn_act(b: GraphBuilder, x, cin, cout, k, stride, groups, act, prefix, gamma_scale=1.0,
                 decomposed_hswish=False):
    """torchvision Conv2dNormActivation: <prefix>.0 conv, <prefix>.1 bn, <prefix>.2 act."""
    with b.scope(prefix):
        gain = math.sqrt(2.0) if act else 1.0
        x = b.conv(x, cin, cout, k, stride, (k - 1) // 2, groups=groups, module=f"{prefix}.0",
                   gain=gain)
        x = b.bn(x, cout, module=f"{prefix}.1", gamma_scale=gamma_scale)
        if act == "relu6":
            x = b.relu6(x, module=f"{prefix}.2")
        elif act == "relu":
            x = b.relu(x, module=f"{prefix}.2")
        elif act == "hswish":
            x = b.hardswish(x, module=f"{prefix}.2", decomposed=decomposed_hswish)
    return x


_MBV2 = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
         (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenet_v2(width: float = 1.0, num_classes: int = 1000, seed: int = 0, opset: int = 13,
                 input_size: Optional[int] = 224, scale_last_channel: bool = False
                 ) -> onnx.ModelProto:
    """MobileNetV2 (torchvision layout). Relu6 is Clip with min/max inputs (opset >= 11)
    or attributes (opset < 11). ``input_size=None`` makes H and W symbolic.
    ``scale_last_channel`` also scales the final 1280 channels by ``width`` (small models)."""
    b = GraphBuilder("mobilenet_v2", seed, opset)
    hw = [input_size, input_size] if input_size else ["height", "width"]
    x = b.input("input", [1, 3] + hw)
    cin = make_divisible(32 * width, 8)
    last = make_divisible(1280 * (width if scale_last_channel else max(1.0, width)), 8)
    with b.scope("features"):
        x = _conv_bn_act(b, x, 3, cin, 3, 2, 1, "relu6", "features.0")
        idx = 1
        for t, c, n, s in _MBV2:
            cout = make_divisible(c * width, 8)
            for i in range(n):
                stride = s if i == 0 else 1
                hidden = int(round(cin * t))
                with b.scope(f"features.{idx}", "conv"):
                    inp = x
                    j = 0
                    if t != 1:
                        x = _conv_bn_act(b, x, cin, hidden, 1, 1, 1, "relu6", f"conv.{j}")
                        j += 1
                    x = _conv_bn_act(b, x, hidden, hidden, 3, stride, hidden, "relu6", f"conv.{j}")
                    j += 1
                    x = b.conv(x, hidden, cout, 1, 1, 0, module=f"conv.{j}", gain=1.0)
                    x = b.bn(x, cout, module=f"conv.{j + 1}",
                             gamma_scale=0.5 if (stride == 1 and cin == cout) else 1.0)
                if stride == 1 and cin == cout:
                    with b.scope(f"features.{idx}"):
                        x = b.add(inp, x)
                cin = cout
                idx += 1
        x = _conv_bn_act(b, x, cin, last, 1, 1, 1, "relu6", f"features.{idx}")
    x = b.global_avgpool(x)
    x = b.flatten(x, "flatten")
    with b.scope("classifier"):
        x = b.dropout(x, 0.2, module="classifier.0")
        x = b.linear(x, last, num_classes, module="classifier.1")
    b.output(x, "output")
    return b.make_model(doc=f"MobileNetV2 width={width} classes={num_classes} seed={seed} opset={opset}")


# in, kernel, expanded, out, use_se, activation, stride
_MBV3_SMALL = [
    (16, 3, 16, 16, True, "RE", 2),
    (16, 3, 72, 24, False, "RE", 2),
    (24, 3, 88, 24, False, "RE", 1),
    (24, 5, 96, 40, True, "HS", 2),
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1),
    (48, 5, 144, 48, True, "HS", 1),
    (48, 5, 288, 96, True, "HS", 2),
    (96, 5, 576, 96, True, "HS", 1),
    (96, 5, 576, 96, True, "HS", 1),
]


def mobilenet_v3_small(width: float = 1.0, num_classes: int = 1000, seed: int = 0,
                       opset: int = 17, input_size: Optional[int] = 224) -> onnx.ModelProto:
    """MobileNetV3-small (torchvision layout). HardSwish is the native op in most places
    and Mul(x, HardSigmoid(x)) in every other block; squeeze-excitation is
    GlobalAveragePool -> 1x1 Conv -> Relu -> 1x1 Conv -> HardSigmoid -> Mul."""
    if opset < 14:
        raise ValueError("mobilenet_v3_small needs opset >= 14 (HardSwish)")
    b = GraphBuilder("mobilenet_v3_small", seed, opset)
    hw = [input_size, input_size] if input_size else ["height", "width"]
    x = b.input("input", [1, 3] + hw)
    adj = lambda c: make_divisible(c * width, 8)
    c0 = adj(16)
    with b.scope("features"):
        x = _conv_bn_act(b, x, 3, c0, 3, 2, 1, "hswish", "features.0")
        cin = c0
        for i, (_, k, exp, out, use_se, act, s) in enumerate(_MBV3_SMALL, start=1):
            exp_c, cout = adj(exp), adj(out)
            a = "relu" if act == "RE" else "hswish"
            decomposed = (i % 2 == 0)
            with b.scope(f"features.{i}", "block"):
                inp = x
                j = 0
                if exp_c != cin:
                    x = _conv_bn_act(b, x, cin, exp_c, 1, 1, 1, a, f"block.{j}",
                                     decomposed_hswish=decomposed)
                    j += 1
                x = _conv_bn_act(b, x, exp_c, exp_c, k, s, exp_c, a, f"block.{j}",
                                 decomposed_hswish=decomposed)
                j += 1
                if use_se:
                    sq = make_divisible(exp_c // 4, 8)
                    with b.scope(f"block.{j}"):
                        scale = b.global_avgpool(x, module="avgpool")
                        scale = b.conv(scale, exp_c, sq, 1, 1, 0, bias=True, module="fc1")
                        scale = b.relu(scale, module="activation")
                        scale = b.conv(scale, sq, exp_c, 1, 1, 0, bias=True, module="fc2",
                                       gain=1.0)
                        scale = b.hardsigmoid(scale, module="scale_activation")
                        x = b.mul(scale, x)
                    j += 1
                use_res = s == 1 and cin == cout
                x = _conv_bn_act(b, x, exp_c, cout, 1, 1, 1, None, f"block.{j}",
                                 gamma_scale=0.5 if use_res else 1.0)
            if use_res:
                with b.scope(f"features.{i}"):
                    x = b.add(x, inp)
            cin = cout
        last_conv = 6 * cin
        x = _conv_bn_act(b, x, cin, last_conv, 1, 1, 1, "hswish", f"features.{len(_MBV3_SMALL) + 1}")
    x = b.global_avgpool(x, module="avgpool")
    x = b.flatten(x, "flatten")
    hidden = adj(1024)
    with b.scope("classifier"):
        x = b.linear(x, last_conv, hidden, module="classifier.0", gain=math.sqrt(2.0))
        x = b.hardswish(x, module="classifier.1")
        x = b.dropout(x, 0.2, module="classifier.2")
        x = b.linear(x, hidden, num_classes, module="classifier.3")
    b.output(x, "output")
    return b.make_model(doc=f"MobileNetV3-small width={width} classes={num_classes} seed={seed}")


def yolo_tiny(width: float = 1.0, num_classes: int = 80, seed: int = 0, opset: int = 13,
              anchors: int = 3, input_size: Optional[int] = None) -> onnx.ModelProto:
    """A small YOLO-style two-scale detector.

    Backbone: Conv+LeakyRelu stem, Conv+BN+SiLU (Mul(x, Sigmoid(x))) stages, a residual
    block and an SPP-ish MaxPool/Concat. Neck: 1x1 conv, Resize x2 (nearest, scales input,
    roi ""), Concat with the stride-8 map. Two heads, each
    Conv -> Reshape [1, A, 5+nc, H*W] -> Transpose [0,1,3,2] -> Sigmoid. The stride-8
    head reshapes with a constant shape, the stride-16 head with a Shape-derived one.
    Input "images" [1, 3, height, width] (H, W multiples of 16); outputs "output0"
    [1, A, H/8*W/8, 5+nc] and "output1" [1, A, H/16*W/16, 5+nc]."""
    b = GraphBuilder("yolo_tiny", seed, opset)
    hw = [input_size, input_size] if input_size else ["height", "width"]
    x = b.input("images", [1, 3] + hw)
    c = lambda v: _ch(v, width)
    no = 5 + num_classes

    def cbs(x, cin, cout, k, s, idx, bias=False):
        with b.scope("model", f"model.{idx}"):
            x = b.conv(x, cin, cout, k, s, (k - 1) // 2, bias=bias, module="conv")
            if not bias:
                x = b.bn(x, cout, module="bn")
            return b.silu(x, module="act")

    with b.scope("model", "model.0"):
        x = b.conv(x, 3, c(16), 3, 2, 1, bias=True, module="conv")
        x = b.leaky_relu(x, 0.1, module="act")
    x = cbs(x, c(16), c(32), 3, 2, 1)
    # residual block (model.2): two convs + Add
    with b.scope("model", "model.2"):
        y = b.conv(x, c(32), c(32), 1, 1, 0, module="cv1")
        y = b.bn(y, c(32), module="bn1")
        y = b.silu(y, module="act1")
        y = b.conv(y, c(32), c(32), 3, 1, 1, bias=True, module="cv2", gain=1.0)
        y = b.leaky_relu(y, 0.1, module="act2")
        x = b.add(x, y)
    p3 = cbs(x, c(32), c(64), 3, 2, 3)                     # stride 8
    p4 = cbs(p3, c(64), c(128), 3, 2, 4)                   # stride 16
    with b.scope("model", "model.5"):
        m = b.maxpool(p4, 5, 1, 2, module="m")
        m = b.identity(m)
        cat = b.concat([p4, m], axis=1)
    p4 = cbs(cat, c(256), c(128), 1, 1, 6)
    up = cbs(p4, c(128), c(64), 1, 1, 7)
    with b.scope("model", "model.8"):
        up = b.resize_nearest(up, 2.0)
    with b.scope("model", "model.9"):
        f3 = b.concat([up, p3], axis=1)
    f3 = cbs(f3, c(128), c(64), 3, 1, 10)

    outs = []
    with b.scope("model", "model.11"):
        # stride-8 head: constant target shape
        h = b.conv(f3, c(64), anchors * no, 1, 1, 0, bias=True, module="m.0", gain=1.0)
        h = b.reshape(h, [1, anchors, no, -1])
        h = b.transpose(h, [0, 1, 3, 2])
        outs.append(b.sigmoid(h))
        # stride-16 head: target shape computed from the tensor's shape
        h = b.conv(p4, c(128), anchors * no, 1, 1, 0, bias=True, module="m.1", gain=1.0)
        shp = b.node("Shape", [h])
        hh = b.node("Gather", [shp, b.constant(np.int64(2))], axis=0)
        ww = b.node("Gather", [shp, b.constant(np.int64(3))], axis=0)
        n = b.node("Mul", [hh, ww])
        target = b.concat([b.i64([1, anchors, no]), b.unsqueeze(n, [0])], axis=0)
        h = b.node("Reshape", [h, target])
        h = b.transpose(h, [0, 1, 3, 2])
        outs.append(b.sigmoid(h))
    b.output(outs[0], "output0", shape=[1, anchors, "cells8", no])
    b.output(outs[1], "output1", shape=[1, anchors, "cells16", no])
    return b.make_model(doc=f"YOLO-style tiny detector width={width} classes={num_classes} seed={seed}")


MODELS = {
    "resnet18": resnet18,
    "vgg11_bn": vgg11_bn,
    "mobilenetv2": mobilenet_v2,
    "mobilenetv3_small": mobilenet_v3_small,
    "yolo_tiny": yolo_tiny,
}


def build_model(name: str, **kwargs) -> onnx.ModelProto:
    try:
        fn = MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None
    return fn(**kwargs)


# ====================================================================== helpers

_NP_OF_ONNX = {
    TensorProto.FLOAT: np.float32,
    TensorProto.DOUBLE: np.float64,
    TensorProto.INT64: np.int64,
    TensorProto.INT32: np.int32,
    TensorProto.BOOL: np.bool_,
    TensorProto.UINT8: np.uint8,
    TensorProto.INT8: np.int8,
    TensorProto.FLOAT16: np.float16,
}


def graph_input_shapes(model: onnx.ModelProto) -> Dict[str, List[Dim]]:
    """Runtime graph inputs (initializers excluded) -> declared dims (int or str/None)."""
    inits = {i.name for i in model.graph.initializer}
    res = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        dims = []
        for d in vi.type.tensor_type.shape.dim:
            if d.HasField("dim_value"):
                dims.append(d.dim_value)
            else:
                dims.append(d.dim_param or None)
        res[vi.name] = dims
    return res


def symbolic_inputs(model: onnx.ModelProto) -> List[str]:
    return [n for n, dims in graph_input_shapes(model).items()
            if any(not isinstance(d, int) for d in dims)]


def random_inputs(model: onnx.ModelProto, shapes: Optional[Dict[str, Sequence[int]]] = None,
                  seed: int = 0) -> Dict[str, np.ndarray]:
    """Seeded standard-normal float32 feeds; ``shapes`` gives concrete shapes for inputs
    with symbolic dims."""
    rng = np.random.default_rng(seed)
    shapes = shapes or {}
    feeds = {}
    for name, dims in graph_input_shapes(model).items():
        shape = list(shapes.get(name, dims))
        if any(not isinstance(d, int) for d in shape):
            raise ValueError(f"input {name!r} has symbolic dims {dims}; pass shapes")
        feeds[name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def run_onnxruntime(model: Union[onnx.ModelProto, bytes, str], feeds: Dict[str, np.ndarray],
                    optimize: bool = False, threads: int = 1) -> Dict[str, np.ndarray]:
    """Runs ``model`` on CPU; with ``optimize=False`` ORT evaluates the graph as written."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
                                   else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    if isinstance(model, onnx.ModelProto):
        model = model.SerializeToString()
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def check_output_scale(model: onnx.ModelProto, feeds: Dict[str, np.ndarray],
                       lo: float = 0.05, hi: float = 50.0, pre_activation: bool = True
                       ) -> Dict[str, float]:
    """Raises ValueError unless every output has lo <= std <= hi.

    Outputs that end in a Sigmoid are checked before it (with ``pre_activation``), since a
    saturated sigmoid has a small std even when the network is healthy."""
    check = onnx.ModelProto()
    check.CopyFrom(model)
    producers = {o: n for n in check.graph.node for o in n.output}
    if pre_activation:
        for out in check.graph.output:
            p = producers.get(out.name)
            if p is not None and p.op_type == "Sigmoid":
                check.graph.output.append(helper.make_tensor_value_info(p.input[0], TensorProto.FLOAT, None))
    res = run_onnxruntime(check, feeds)
    stds = {}
    for name, arr in res.items():
        s = float(np.std(arr.astype(np.float64)))
        stds[name] = s
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"output {name!r} has non-finite values")
        p = producers.get(name)
        if pre_activation and p is not None and p.op_type == "Sigmoid":
            continue
        if not (lo <= s <= hi):
            raise ValueError(f"output {name!r} std {s:.4g} outside [{lo}, {hi}]")
    return stds


def op_types(model: onnx.ModelProto) -> List[str]:
    return sorted({(n.domain + "::" if n.domain else "") + n.op_type for n in model.graph.node})


def param_count(model: onnx.ModelProto) -> int:
    return int(sum(np.prod(i.dims) for i in model.graph.initializer))


if __name__ == "__main__":  # quick self-check: python3 -m edgetools.models (in Tools/)
    import sys

    for name, kw, shape in [
        ("resnet18", dict(width=0.125, num_classes=10), [1, 3, 32, 32]),
        ("vgg11_bn", dict(width=0.125, num_classes=10, input_size=32, hidden=64), None),
        ("mobilenetv2", dict(width=0.25, num_classes=10, input_size=64, scale_last_channel=True), None),
        ("mobilenetv3_small", dict(width=0.25, num_classes=10, input_size=64), None),
        ("yolo_tiny", dict(width=0.25, num_classes=4), [1, 3, 64, 64]),
    ]:
        m = build_model(name, **kw)
        onnx.checker.check_model(m, full_check=True)
        shapes = {n: shape for n in symbolic_inputs(m)}
        stds = check_output_scale(m, random_inputs(m, shapes, seed=1))
        print(f"{name:20s} params={param_count(m):9d} bytes={m.ByteSize():9d} "
              f"std={ {k: round(v, 3) for k, v in stds.items()} }")
    sys.exit(0)
