#!/usr/bin/env python3
"""Generates sparse-model fixtures for channel pruning under Tests/Fixtures/pruning/.

    python3 Tools/make_pruning_fixtures.py [--out DIR] [--only SUBSTRING]

Each case directory has the same layout as Tests/Fixtures/models/* (model.onnx,
case.json, run0_in_0.npy, run0_out_*.npy from onnxruntime 1.20.1, CPU, graph
optimizations disabled) and case.json additionally holds

    "min_params": N      the lossless minimum parameter count after removing exactly the
                         removable channels (derived below, per case, from the zeroed
                         structure), counted the way Edge stores weights: Conv weight and
                         bias (after BN folding every Conv followed by BN has a bias; a Conv
                         without one gets one only when a constant channel is folded into
                         it), Gemm B and C, standalone BatchNormalization scale + shift.
    "dense_params": N    the same count without any pruning (for reports).
    "removed": {...}     per layer, the channel indices the generator expects to go.

How channels are made dead: a zeroed filter (all weights 0) whose BatchNorm has mean 0
gives the constant beta after folding; beta < 0 before a Relu makes the channel exactly
zero ("neg"), beta = 0 makes it zero before any activation with f(0) = 0 ("zero"),
beta > 0 makes it a non-zero constant ("pos") that can only be removed when every
consumer folds it into a bias (unpadded Conv, Gemm after pooling/flatten).

Deterministic (seeded); rerun after changing it. Keep the total under ~2 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
import onnx
from onnx import helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import edgetools.models as em  # noqa: E402
from edgetools.common import seed_of  # noqa: E402
from edgetools.models import GraphBuilder  # noqa: E402
from edgetools.fixtures import Registry, write_case_json, write_run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "Tests" / "Fixtures" / "pruning"
TOLERANCE = 1e-5


# ====================================================================== parameter counting

def conv_params(cin: int, cout: int, k: int, groups: int = 1, bias: bool = True) -> int:
    return cout * (cin // groups) * k * k + (cout if bias else 0)


def gemm_params(k: int, n: int) -> int:
    return n * k + n


def bn_params(c: int) -> int:
    return 2 * c


# ====================================================================== building blocks


class Net:
    """GraphBuilder plus layers whose zeroed filters and folded biases are controlled."""

    def __init__(self, name: str, opset: int = 13):
        self.b = GraphBuilder(name, seed_of("pruning", name), opset)
        self.rng = self.b.rng
        self.removed: Dict[str, List[int]] = {}

    def conv(self, x: str, cin: int, cout: int, k: int, module: str, stride: int = 1,
             pad: Optional[int] = None, groups: int = 1, act: Optional[str] = "relu",
             bn: bool = True, conv_bias: bool = False, zero: Dict[int, str] = None,
             zero_cols: Iterable[int] = (), gain: Optional[float] = None) -> str:
        """Conv [+ BN] [+ act]. ``zero`` maps output channel -> "neg" | "zero" | "pos":
        that filter is all-zero and the channel's folded bias is negative / 0 / positive.
        ``zero_cols`` zeroes whole input channels of the weight (nobody reads them)."""
        b = self.b
        zero = zero or {}
        pad = (k - 1) // 2 if pad is None else pad
        fan_in = cin // groups * k * k
        w = b.he_normal((cout, cin // groups, k, k), fan_in, gain if gain else (math.sqrt(2.0) if act else 1.0))
        for c in zero:
            w[c] = 0
        for c in zero_cols:
            w[:, c] = 0
        with b.scope(module):
            ins = [x, b.param("weight", w)]
            if conv_bias:
                bias = (self.rng.standard_normal(cout) * 0.1).astype(np.float32)
                for c, kind in zero.items():
                    bias[c] = 0.0 if bn else self.kind_value(kind)
                ins.append(b.param("bias", bias))
            y = b.node("Conv", ins, dilations=[1, 1], group=groups, kernel_shape=[k, k],
                       pads=[pad] * 4, strides=[stride, stride])
        if bn:
            y = self.bn(y, cout, module + ".bn", zero)
        return self.act(y, act, module)

    def kind_value(self, kind: str) -> float:
        mag = float(self.rng.uniform(0.2, 0.6))
        return {"neg": -mag, "zero": 0.0, "pos": mag}[kind]

    def bn(self, x: str, c: int, module: str, controlled: Dict[int, str] = None) -> str:
        """Inference BN with random statistics; channels in ``controlled`` get mean 0 and
        beta by kind, so a zero input maps to exactly beta."""
        r = self.rng
        var = r.uniform(0.5, 2.0, c).astype(np.float32)
        mean = (r.standard_normal(c) * 0.2).astype(np.float32)
        gamma = (r.uniform(0.7, 1.3, c) * np.sqrt(var)).astype(np.float32)
        beta = (r.standard_normal(c) * 0.1).astype(np.float32)
        for ch, kind in (controlled or {}).items():
            mean[ch] = 0.0
            beta[ch] = self.kind_value(kind)
        b = self.b
        with b.scope(module):
            names = [b.param("weight", gamma), b.param("bias", beta),
                     b.param("running_mean", mean), b.param("running_var", var)]
            return b.node("BatchNormalization", [x] + names, epsilon=1e-5, momentum=0.9)

    def act(self, x: str, act: Optional[str], module: str) -> str:
        b = self.b
        if act is None:
            return x
        if act == "relu":
            return b.relu(x, module=module + ".act")
        if act == "relu6":
            return b.relu6(x, module=module + ".act")
        if act == "sigmoid":
            return b.sigmoid(x, module=module + ".act")
        if act == "tanh":
            with b.scope(module + ".act"):
                return b.node("Tanh", [x])
        raise ValueError(act)

    def linear(self, x: str, cin: int, cout: int, module: str, zero: Dict[int, str] = None,
               zero_cols: Iterable[int] = (), gain: float = math.sqrt(2.0)) -> str:
        """Gemm(transB=1); ``zero`` rows of B are zero and C is set by kind."""
        b = self.b
        w = b.he_normal((cout, cin), cin, gain)
        bias = (self.rng.standard_normal(cout) * 0.1).astype(np.float32)
        for c, kind in (zero or {}).items():
            w[c] = 0
            bias[c] = self.kind_value(kind)
        for c in zero_cols:
            w[:, c] = 0
        with b.scope(module):
            return b.node("Gemm", [x, b.param("weight", w), b.param("bias", bias)], alpha=1.0, beta=1.0, transB=1)

    def head(self, x: str, c: int, classes: int = 10, zero: Dict[int, str] = None) -> str:
        b = self.b
        x = b.global_avgpool(x, module="avgpool")
        x = b.flatten(x, "flatten")
        return self.linear(x, c, classes, "fc", zero=zero, gain=1.0)

    def finish(self, y, names=None) -> onnx.ModelProto:
        ys = [y] if isinstance(y, str) else list(y)
        for i, t in enumerate(ys):
            self.b.output(t, names[i] if names else ("output" if len(ys) == 1 else f"output{i}"))
        return self.b.make_model(producer="edge-pruning-fixtures")


def remove(d: Dict[int, str], *kinds: str) -> List[int]:
    return sorted(c for c, k in d.items() if k in kinds)


# ====================================================================== cases

# Every case generator, registered where it is defined (run in definition order).
generator = Registry()

CASES: List[dict] = []


def add(name: str, model: onnx.ModelProto, input_shape: Sequence[int], min_params: int,
        dense_params: int, removed: Dict[str, List[int]], note: str) -> None:
    CASES.append(dict(name=name, model=model, input_shape=list(input_shape), min_params=int(min_params),
                      dense_params=int(dense_params), removed=removed, note=note))


_VGG16 = em.VGG_CONFIGS["vgg16"]


def vgg16(sparsity: float, width_div: int = 16, size: int = 32, hidden: int = 32,
          name: Optional[str] = None) -> None:
    """VGG-16-BN at width 1/16 (channels 4..32), 32x32 input, GAP + 3 Linear classifier.

    Per conv layer a fraction ``sparsity`` of the filters is zeroed: most "neg" (dead),
    every third "pos" (constant relu(beta)), one "zero". Constant channels stay before a
    padded 3x3 conv and go (folded into fc1's bias) after the last conv. One live channel
    per layer is unread (the next conv's weights for it are all zero) and goes. The
    classifier's hidden units are zeroed the same way (constants fold into the next Gemm);
    one zeroed row of the last Gemm stays (graph output)."""
    name = name or f"vgg16_bn_s{int(round(sparsity * 100))}"
    net = Net(name)
    b = net.b
    rng = np.random.default_rng(seed_of("pruning", name, "pattern"))
    x = b.input("input", [1, 3, size, size])
    widths = [max(1, v // width_div) for v in _VGG16 if v != "M"]
    n = len(widths)
    plans = []
    for li, c in enumerate(widths):
        nz = min(c - 1, int(round(sparsity * c)))
        chans = rng.permutation(c)
        zero: Dict[int, str] = {}
        for j, ch in enumerate(sorted(chans[:nz].tolist())):
            zero[ch] = "pos" if j % 3 == 1 else ("zero" if j == 2 else "neg")
        alive = sorted(chans[nz:].tolist())
        # one unread live channel (not in the last layer, whose reader is the classifier)
        unread = [alive[0]] if (li < n - 1 and len(alive) > 2) else []
        plans.append((zero, unread))
    cin, idx, li = 3, 0, 0
    with b.scope("features"):
        for v in _VGG16:
            if v == "M":
                x = b.maxpool(x, 2, 2, 0, module=f"features.{idx}")
                idx += 1
                continue
            c = widths[li]
            zero, _ = plans[li]
            cols = plans[li - 1][1] if li > 0 else []
            x = net.conv(x, cin, c, 3, f"features.{idx}", conv_bias=True, zero=zero, zero_cols=cols)
            idx += 3
            cin = c
            li += 1
    h_zero1 = {1: "neg", 5: "pos", 9: "neg", 17: "zero"} if sparsity >= 0.5 else {3: "neg", 20: "pos"}
    h_zero2 = {0: "neg", 7: "pos", 30: "neg"} if sparsity >= 0.5 else {11: "neg"}
    out_zero = {4: "neg"}
    x = b.global_avgpool(x, module="avgpool")
    x = b.flatten(x, "flatten")
    with b.scope("classifier"):
        x = net.linear(x, cin, hidden, "classifier.0", zero=h_zero1)
        x = b.relu(x, module="classifier.1")
        x = b.dropout(x, 0.5, module="classifier.2")
        x = net.linear(x, hidden, hidden, "classifier.3", zero=h_zero2)
        x = b.relu(x, module="classifier.4")
        x = b.dropout(x, 0.5, module="classifier.5", ratio_input=False)
        x = net.linear(x, hidden, 10, "classifier.6", zero=out_zero, gain=1.0)
    model = net.finish(x)

    # Expected: dead ("neg"/"zero") and unread channels go everywhere; "pos" constants go
    # only in the last conv (its reader is fc1 after max-pool/GAP/flatten); hidden units
    # go whatever their kind (the next Gemm folds constants).
    kept = []
    removed = {}
    for li, c in enumerate(widths):
        zero, unread = plans[li]
        gone = set(remove(zero, "neg", "zero")) | set(unread)
        if li == n - 1:
            gone |= set(remove(zero, "pos"))
        kept.append(c - len(gone))
        removed[f"features.{li}"] = sorted(gone)
    h1 = hidden - len(h_zero1)
    h2 = hidden - len(h_zero2)
    total = dense = 0
    prev = prev_dense = 3
    for li, c in enumerate(widths):
        total += conv_params(prev, kept[li], 3)
        dense += conv_params(prev_dense, c, 3)
        prev, prev_dense = kept[li], c
    total += gemm_params(prev, h1) + gemm_params(h1, h2) + gemm_params(h2, 10)
    dense += gemm_params(prev_dense, hidden) + gemm_params(hidden, hidden) + gemm_params(hidden, 10)
    removed["classifier.0"] = sorted(h_zero1)
    removed["classifier.3"] = sorted(h_zero2)
    add(name, model, [1, 3, size, size], total, dense, removed, vgg16.__doc__.split("\n")[0])


@generator
def vgg16_sparsities() -> None:
    """VGG-16-BN with 30, 50 and 70% of the filters zeroed."""
    for s in (0.3, 0.5, 0.7):
        vgg16(s)


@generator
def resnet_basic() -> None:
    """Stem + BasicBlock with projection shortcut (stride 2) + identity BasicBlock + fc.

    Residual group (block1.conv2, block1.downsample, block2.conv2 and the fc reading it):
    ch 0 zero in all three -> goes; ch 12 zero in all, block2.conv2 bias < 0 -> relu 0 ->
    goes; ch 14 zero in all, block2.conv2 bias > 0 -> constant into GAP+fc -> goes (fold);
    ch 6 zero in block1 only (block2.conv2 alive) -> stays; ch 9 zero in block1.conv2
    only (shortcut alive) -> stays; ch 15 block1.conv2 bias > 0 -> constant into the padded
    block2.conv1 -> stays."""
    net = Net("resnet_basic")
    b = net.b
    x = b.input("input", [1, 3, 16, 16])
    stem_zero = {1: "neg", 5: "neg", 3: "pos"}
    c1_zero = {2: "neg", 7: "neg", 11: "neg", 4: "pos"}
    res1 = {0: "zero", 12: "zero", 14: "zero", 6: "zero", 9: "zero", 15: "pos"}
    ds1 = {0: "zero", 12: "zero", 14: "zero", 6: "zero", 15: "zero"}
    res2 = {0: "zero", 12: "neg", 14: "pos", 15: "zero"}
    b2c1_zero = {3: "neg", 8: "neg"}
    x = net.conv(x, 3, 8, 3, "conv1", zero=stem_zero)
    with b.scope("layer1", "layer1.0"):
        y = net.conv(x, 8, 16, 3, "conv1", stride=2, zero=c1_zero)
        y = net.conv(y, 16, 16, 3, "conv2", act=None, zero=res1)
        s = net.conv(x, 8, 16, 1, "downsample", stride=2, pad=0, act=None, zero=ds1)
        x = b.relu(b.add(y, s))
    with b.scope("layer1", "layer1.1"):
        y = net.conv(x, 16, 16, 3, "conv1", zero=b2c1_zero)
        y = net.conv(y, 16, 16, 3, "conv2", act=None, zero=res2)
        x = b.relu(b.add(y, x))
    model = net.finish(net.head(x, 16))
    stem, c1, res, b2c1 = 8 - 2, 16 - 3, 16 - 3, 16 - 2
    total = (conv_params(3, stem, 3) + conv_params(stem, c1, 3) + conv_params(c1, res, 3)
             + conv_params(stem, res, 1) + conv_params(res, b2c1, 3) + conv_params(b2c1, res, 3)
             + gemm_params(res, 10))
    dense = (conv_params(3, 8, 3) + conv_params(8, 16, 3) + conv_params(16, 16, 3) + conv_params(8, 16, 1)
             + conv_params(16, 16, 3) * 2 + gemm_params(16, 10))
    add("resnet_basic", model, [1, 3, 16, 16], total, dense,
        {"conv1": [1, 5], "layer1.0.conv1": [2, 7, 11], "residual": [0, 12, 14], "layer1.1.conv1": [3, 8]},
        resnet_basic.__doc__.split("\n")[0])


@generator
def resnet_bottleneck() -> None:
    """Stem + Bottleneck (1x1 reduce, 3x3, 1x1 expand, projection shortcut) + fc.

    Stem: dead 2, 9 go; constant 5 goes too (both readers are unpadded 1x1 convs: folded
    into reduce's and the projection's biases). Reduce: dead 1 goes, constant 4 stays
    (padded 3x3 reader). 3x3: dead 0 goes, constant 6 goes (folded into expand's bias).
    Residual: 3, 17, 30 zero in expand and projection go; 25 (expand bias > 0, projection
    0: relu(k) into GAP+fc) goes; 20 zero in expand only stays."""
    net = Net("resnet_bottleneck")
    b = net.b
    x = b.input("input", [1, 3, 16, 16])
    x = net.conv(x, 3, 16, 3, "conv1", zero={2: "neg", 9: "neg", 5: "pos"})
    with b.scope("layer1", "layer1.0"):
        y = net.conv(x, 16, 8, 1, "conv1", pad=0, zero={1: "neg", 4: "pos"})
        y = net.conv(y, 8, 8, 3, "conv2", zero={0: "neg", 6: "pos"})
        y = net.conv(y, 8, 32, 1, "conv3", pad=0, act=None,
                     zero={3: "zero", 17: "zero", 30: "zero", 25: "pos", 20: "zero"})
        s = net.conv(x, 16, 32, 1, "downsample", pad=0, act=None, zero={3: "zero", 17: "zero", 30: "zero", 25: "zero"})
        x = b.relu(b.add(y, s))
    model = net.finish(net.head(x, 32))
    stem, red, mid, res = 13, 7, 6, 28
    total = (conv_params(3, stem, 3) + conv_params(stem, red, 1) + conv_params(red, mid, 3)
             + conv_params(mid, res, 1) + conv_params(stem, res, 1) + gemm_params(res, 10))
    dense = (conv_params(3, 16, 3) + conv_params(16, 8, 1) + conv_params(8, 8, 3) + conv_params(8, 32, 1)
             + conv_params(16, 32, 1) + gemm_params(32, 10))
    add("resnet_bottleneck", model, [1, 3, 16, 16], total, dense,
        {"conv1": [2, 5, 9], "layer1.0.conv1": [1], "layer1.0.conv2": [0, 6], "residual": [3, 17, 25, 30]},
        resnet_bottleneck.__doc__.split("\n")[0])


@generator
def mobilenetv2_block() -> None:
    """Stem + two MobileNetV2 inverted residuals (stride 1 with residual, stride 2) + 1x1
    conv + fc, Relu6 as Clip.

    Block 1 expansion filters 0, 5, 10, 20, 33 are dead: their depthwise channels get a
    zero input, output the constant relu6(bias), which the unpadded projection folds: the
    depthwise channels go too. Depthwise filters 7, 40 are zero: their (live) expansion
    channels go with them. Expansion filter 15 is a constant before the padded depthwise:
    stays. Residual channel 2 (stem dead, projection zero) goes; 4 (stem dead, projection
    alive) stays. Block 2: expansion 3, 30 dead go; projection 5 (zero) and 9 (constant,
    folded into the 1x1 conv) go. Last 1x1 conv: 1, 2 dead go."""
    net = Net("mobilenetv2_block")
    b = net.b
    x = b.input("input", [1, 3, 16, 16])
    with b.scope("features"):
        x = net.conv(x, 3, 8, 3, "features.0", act="relu6", zero={2: "neg", 4: "neg"})
        with b.scope("features.1", "conv"):
            inp = x
            y = net.conv(x, 8, 48, 1, "conv.0", pad=0, act="relu6",
                         zero={0: "neg", 5: "neg", 10: "neg", 20: "neg", 33: "neg", 15: "pos"})
            y = net.conv(y, 48, 48, 3, "conv.1", groups=48, act="relu6", zero={7: "pos", 40: "neg"})
            y = net.conv(y, 48, 8, 1, "conv.2", pad=0, act=None, gain=1.0, zero={2: "zero"})
        with b.scope("features.1"):
            x = b.add(inp, y)
        with b.scope("features.2", "conv"):
            y = net.conv(x, 8, 48, 1, "conv.0", pad=0, act="relu6", zero={3: "neg", 30: "neg"})
            y = net.conv(y, 48, 48, 3, "conv.1", stride=2, groups=48, act="relu6")
            x = net.conv(y, 48, 16, 1, "conv.2", pad=0, act=None, gain=1.0, zero={5: "zero", 9: "pos"})
        x = net.conv(x, 16, 32, 1, "features.3", pad=0, act="relu6", zero={1: "neg", 2: "neg"})
    model = net.finish(net.head(x, 32))
    stem, e1, e2, p2, last = 7, 41, 46, 14, 30
    total = (conv_params(3, stem, 3) + conv_params(stem, e1, 1) + conv_params(e1, e1, 3, groups=e1)
             + conv_params(e1, stem, 1) + conv_params(stem, e2, 1) + conv_params(e2, e2, 3, groups=e2)
             + conv_params(e2, p2, 1) + conv_params(p2, last, 1) + gemm_params(last, 10))
    dense = (conv_params(3, 8, 3) + conv_params(8, 48, 1) + conv_params(48, 48, 3, groups=48)
             + conv_params(48, 8, 1) + conv_params(8, 48, 1) + conv_params(48, 48, 3, groups=48)
             + conv_params(48, 16, 1) + conv_params(16, 32, 1) + gemm_params(32, 10))
    add("mobilenetv2_block", model, [1, 3, 16, 16], total, dense,
        {"residual": [2], "features.1.conv.0": [0, 5, 7, 10, 20, 33, 40], "features.2.conv.0": [3, 30],
         "features.2.conv.2": [5, 9], "features.3": [1, 2]},
        mobilenetv2_block.__doc__.split("\n")[0])


@generator
def densenet_block() -> None:
    """DenseNet-style block: conv0, two BN-Relu-Conv3x3 layers whose outputs are
    concatenated, transition BN-Relu-Conv1x1-AvgPool, fc. The pre-activation BNs read a
    Concat, so they stay standalone (scale + shift per channel).

    conv0 channel 6 dead (every BN maps 0 to <= 0): goes. Layer-1 output channel 1 zero
    (the BNs reading it map 0 to <= 0): goes although its neighbours in the Concat stay.
    Layer-1 channel 3 zero but BN2 has shift > 0 (relu(shift) into a padded 3x3): stays.
    Layer-2 channel 2 zero, BN3 shift > 0 into the unpadded transition conv: goes, folded
    into a new bias of the transition conv (which had none). Transition filter 5 zero: goes."""
    net = Net("densenet_block")
    b = net.b
    x = b.input("input", [1, 3, 16, 16])
    x0 = net.conv(x, 3, 8, 3, "features.conv0", zero={6: "neg"})
    with b.scope("features", "denseblock1"):
        with b.scope("denselayer1"):
            h = net.bn(x0, 8, "norm1", {6: "neg"})
            h = b.relu(h, module="relu1")
            y1 = net.conv(h, 8, 4, 3, "conv1", bn=False, act=None, zero={1: "zero", 3: "zero"})
        cat1 = b.concat([x0, y1], axis=1)
        with b.scope("denselayer2"):
            h = net.bn(cat1, 12, "norm1", {6: "neg", 9: "neg", 11: "pos"})
            h = b.relu(h, module="relu1")
            y2 = net.conv(h, 12, 4, 3, "conv1", bn=False, act=None, zero={2: "zero"})
        cat2 = b.concat([cat1, y2], axis=1)
    with b.scope("features", "transition1"):
        h = net.bn(cat2, 16, "norm", {6: "neg", 9: "zero", 14: "pos"})
        h = b.relu(h, module="relu")
        t = net.conv(h, 16, 8, 1, "conv", pad=0, bn=False, act=None, zero={5: "zero"})
        with b.scope("pool"):
            t = b.node("AveragePool", [t], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0])
    model = net.finish(net.head(t, 8))
    c0, l1, l2, tr = 7, 3, 3, 7
    total = (conv_params(3, c0, 3) + bn_params(c0) + conv_params(c0, l1, 3, bias=False)
             + bn_params(c0 + l1) + conv_params(c0 + l1, l2, 3, bias=False) + bn_params(c0 + l1 + l2)
             + conv_params(c0 + l1 + l2, tr, 1, bias=True) + gemm_params(tr, 10))
    dense = (conv_params(3, 8, 3) + bn_params(8) + conv_params(8, 4, 3, bias=False) + bn_params(12)
             + conv_params(12, 4, 3, bias=False) + bn_params(16) + conv_params(16, 8, 1, bias=False)
             + gemm_params(8, 10))
    add("densenet_block", model, [1, 3, 16, 16], total, dense,
        {"features.conv0": [6], "denselayer1.conv1": [1], "denselayer2.conv1": [2], "transition1.conv": [5]},
        densenet_block.__doc__.split("\n")[0])


@generator
def se_block() -> None:
    """Conv + squeeze-excitation (GAP, 1x1 Conv+Relu, 1x1 Conv+Sigmoid, Mul) + conv + fc.

    Feature channel 3 dead: x * gate = 0, so the channel goes with its (live) gate filter
    and fc1's input column. Gate filter 7 zero with bias 0: sigmoid(0) = 0.5 scales a live
    channel: stays ("feeds Sigmoid"). fc1 filters: 2 dead goes, 0 constant goes (folded
    into fc2's bias; the 1x1 convs are unpadded). Last conv: 5, 11 dead go."""
    net = Net("se_block")
    b = net.b
    x = b.input("input", [1, 3, 16, 16])
    x = net.conv(x, 3, 16, 3, "conv0", zero={3: "neg"})
    with b.scope("se"):
        s = b.global_avgpool(x, module="avgpool")
        s = net.conv(s, 16, 4, 1, "fc1", pad=0, bn=False, conv_bias=True, zero={2: "neg", 0: "pos"})
        s = net.conv(s, 4, 16, 1, "fc2", pad=0, bn=False, conv_bias=True, act="sigmoid", gain=1.0,
                     zero={7: "zero"})
        x = b.mul(x, s)
    x = net.conv(x, 16, 16, 3, "conv1", zero={5: "neg", 11: "neg"})
    model = net.finish(net.head(x, 16))
    c0, f1, c1 = 15, 2, 14
    total = (conv_params(3, c0, 3) + conv_params(c0, f1, 1) + conv_params(f1, c0, 1)
             + conv_params(c0, c1, 3) + gemm_params(c1, 10))
    dense = (conv_params(3, 16, 3) + conv_params(16, 4, 1) + conv_params(4, 16, 1)
             + conv_params(16, 16, 3) + gemm_params(16, 10))
    add("se_block", model, [1, 3, 16, 16], total, dense,
        {"conv0": [3], "se.fc1": [0, 2], "conv1": [5, 11]}, se_block.__doc__.split("\n")[0])


@generator
def flatten_gemm() -> None:
    """Conv + MaxPool + Reshape(explicit [1, 128]) + Gemm + Relu + Gemm.

    Conv channels 1, 6 dead and 3 constant all go (each is a block of 16 Gemm inputs;
    the constant folds into fc1's bias); channel 4 is live but fc1 ignores it (its 16
    columns are zero): goes. Hidden units 2, 9 dead and 12 constant go (folded into fc2).
    Output row 4 of fc2 is zero but is a graph output: stays. The Reshape target becomes
    [1, 64]."""
    net = Net("flatten_gemm")
    b = net.b
    x = b.input("input", [1, 3, 8, 8])
    x = net.conv(x, 3, 8, 3, "conv0", zero={1: "neg", 6: "neg", 3: "pos"})
    x = b.maxpool(x, 2, 2, 0, module="pool")
    x = b.reshape(x, [1, 128])
    unread = list(range(4 * 16, 5 * 16))
    x = net.linear(x, 128, 16, "fc1", zero={2: "neg", 9: "neg", 12: "pos"}, zero_cols=unread)
    x = b.relu(x, module="relu")
    x = net.linear(x, 16, 10, "fc2", zero={4: "neg"}, gain=1.0)
    model = net.finish(x)
    c0, h = 4, 13
    total = conv_params(3, c0, 3) + gemm_params(c0 * 16, h) + gemm_params(h, 10)
    dense = conv_params(3, 8, 3) + gemm_params(128, 16) + gemm_params(16, 10)
    add("flatten_gemm", model, [1, 3, 8, 8], total, dense, {"conv0": [1, 3, 4, 6], "fc1": [2, 9, 12]},
        flatten_gemm.__doc__.split("\n")[0])


@generator
def trap_const_padded() -> None:
    """Constant channels (zero filter, relu(beta) > 0) before a zero-padded 3x3 conv stay:
    at the borders the consumer sees the constant partly, so it cannot fold. Channel 6
    (dead) goes."""
    net = Net("trap_const_padded")
    b = net.b
    x = b.input("input", [1, 3, 8, 8])
    x = net.conv(x, 3, 8, 3, "conv0", zero={2: "pos", 5: "pos", 6: "neg"})
    x = net.conv(x, 8, 8, 3, "conv1")
    model = net.finish(x)
    add("trap_const_padded", model, [1, 3, 8, 8], conv_params(3, 7, 3) + conv_params(7, 8, 3),
        conv_params(3, 8, 3) + conv_params(8, 8, 3), {"conv0": [6]}, trap_const_padded.__doc__.split("\n")[0])


@generator
def trap_const_1x1() -> None:
    """The same constant channels before an unpadded 1x1 conv go: W[:, c] * k folds into
    the consumer's bias exactly. Channel 6 (dead) goes too."""
    net = Net("trap_const_1x1")
    b = net.b
    x = b.input("input", [1, 3, 8, 8])
    x = net.conv(x, 3, 8, 3, "conv0", zero={2: "pos", 5: "pos", 6: "neg"})
    x = net.conv(x, 8, 8, 1, "conv1", pad=0)
    model = net.finish(x)
    add("trap_const_1x1", model, [1, 3, 8, 8], conv_params(3, 5, 3) + conv_params(5, 8, 1),
        conv_params(3, 8, 3) + conv_params(8, 8, 1), {"conv0": [2, 5, 6]}, trap_const_1x1.__doc__.split("\n")[0])


@generator
def trap_add_one_operand() -> None:
    """Add of two conv branches. Channel 1 is zero in branch A only: stays (the sum is
    live). Channel 4 zero in both: goes. Channel 6 zero in both with A's bias < 0 and the
    Relu after the Add: goes."""
    net = Net("trap_add_one_operand")
    b = net.b
    x = b.input("input", [1, 3, 8, 8])
    a = net.conv(x, 3, 8, 3, "a", act=None, zero={1: "zero", 4: "zero", 6: "neg"})
    c = net.conv(x, 3, 8, 1, "b", pad=0, act=None, zero={4: "zero", 6: "zero"})
    y = b.relu(b.add(a, c))
    y = net.conv(y, 8, 8, 3, "conv2")
    model = net.finish(y)
    add("trap_add_one_operand", model, [1, 3, 8, 8],
        conv_params(3, 6, 3) + conv_params(3, 6, 1) + conv_params(6, 8, 3),
        conv_params(3, 8, 3) + conv_params(3, 8, 1) + conv_params(8, 8, 3), {"a+b": [4, 6]},
        trap_add_one_operand.__doc__.split("\n")[0])


@generator
def trap_sigmoid() -> None:
    """Dead filters (zero weights, bias 0) under Sigmoid give 0.5 everywhere, read by a
    padded 3x3 conv: they stay ("feeds Sigmoid"). The same under Tanh (tanh(0) = 0): gone."""
    net = Net("trap_sigmoid")
    b = net.b
    x = b.input("input", [1, 3, 8, 8])
    s = net.conv(x, 3, 8, 3, "sig", act="sigmoid", zero={1: "zero", 4: "zero"})
    t = net.conv(x, 3, 8, 3, "tanh", act="tanh", zero={2: "zero"})
    y0 = net.conv(s, 8, 8, 3, "conv_s")
    y1 = net.conv(t, 8, 8, 3, "conv_t")
    model = net.finish([y0, y1])
    add("trap_sigmoid", model, [1, 3, 8, 8],
        conv_params(3, 8, 3) + conv_params(8, 8, 3) + conv_params(3, 7, 3) + conv_params(7, 8, 3),
        2 * (conv_params(3, 8, 3) + conv_params(8, 8, 3)), {"tanh": [2]}, trap_sigmoid.__doc__.split("\n")[0])


@generator
def trap_concat_one_input() -> None:
    """Concat of two conv branches into a padded 3x3 conv. Branch A channel 1 is dead:
    goes (Concat offsets shift). Branch B channel 2 is a constant: stays."""
    net = Net("trap_concat_one_input")
    b = net.b
    x = b.input("input", [1, 3, 8, 8])
    a = net.conv(x, 3, 4, 3, "a", zero={1: "neg"})
    c = net.conv(x, 3, 4, 3, "b", zero={2: "pos"})
    y = b.concat([a, c], axis=1)
    y = net.conv(y, 8, 8, 3, "conv2")
    model = net.finish(y)
    add("trap_concat_one_input", model, [1, 3, 8, 8],
        conv_params(3, 3, 3) + conv_params(3, 4, 3) + conv_params(7, 8, 3),
        2 * conv_params(3, 4, 3) + conv_params(8, 8, 3), {"a": [1]}, trap_concat_one_input.__doc__.split("\n")[0])


@generator
def mixed_ops() -> None:
    """Channels through Split, per-channel Mul/Sub constants, Resize (sizes input), MaxPool,
    a depthwise conv with channel multiplier 2, Concat, a standalone BN, Pad, an unpadded
    3x3 conv, ConvTranspose, GAP, Reshape (explicit target) and MatMul; plus a
    Transpose + Softmax-over-channels branch. The Reshape target becomes [1, 4].

    conv0 channel 1 (dead; the Sub constant is 0 there, the BN maps 0 to 0) goes; so does
    channel 6, which feeds the depthwise conv whose two outputs 4, 5 are dead (relu of a
    negative bias): it goes with both depthwise outputs. Split sizes become [3, 3], the
    Resize sizes [1, 3, 32, 32].
    Conv e: 5 dead goes, 3 constant stays (ConvTranspose cannot fold it). ConvTranspose
    outputs: 2 zero goes, 4 constant (relu(0.4) through GAP) goes too, folded into the
    constant of the Add after the MatMul. Branch conv q channel 0 is zero but pinned
    (Softmax over channels)."""
    net = Net("mixed_ops")
    b = net.b
    r = net.rng
    x = b.input("input", [1, 3, 16, 16])
    x = net.conv(x, 3, 8, 3, "conv0", zero={1: "neg", 6: "neg"})
    a, c = b.node("Split", [x, b.i64([4, 4])], n_out=2, axis=1)
    s = (r.uniform(0.5, 1.5, (1, 4, 1, 1))).astype(np.float32)
    t = (r.standard_normal((1, 4, 1, 1)) * 0.1).astype(np.float32)
    t[0, 1] = 0
    a = b.node("Mul", [a, b.initializer("scale_c", s)])
    a = b.node("Sub", [a, b.initializer("shift_c", t)])
    c = b.node("Resize", [c, "", "", b.i64([1, 4, 32, 32])], coordinate_transformation_mode="asymmetric",
               mode="nearest", nearest_mode="floor")
    c = b.maxpool(c, 2, 2, 0, module="pool")
    g = net.conv(c, 4, 8, 3, "dw", groups=4, zero={})
    # the depthwise outputs of input channel 2 (conv0 channel 6) are dead: relu(beta < 0)
    # needs their BN to map the (zero-input) output to a negative value: set by hand below
    cat = b.concat([a, g], axis=1)
    cb = net.bn(cat, 12, "norm", {1: "zero", 8: "zero", 9: "zero"})
    d = b.node("Pad", [cb, b.i64([0, 0, 1, 1, 0, 0, 1, 1]), b.constant(np.float32(0))], mode="constant")
    e = net.conv(d, 12, 8, 3, "e", pad=0, zero={3: "pos", 5: "neg"})
    wt = b.he_normal((8, 6, 3, 3), 8 * 9)
    bt = (r.standard_normal(6) * 0.1).astype(np.float32)
    wt[:, 2] = 0
    wt[:, 4] = 0
    bt[2], bt[4] = 0.0, 0.4
    f = b.node("ConvTranspose", [e, b.initializer("convt.weight", wt), b.initializer("convt.bias", bt)],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    f = b.relu(f, module="convt")
    h = b.global_avgpool(f, module="gap")
    h = b.reshape(h, [1, 6])
    h = b.node("MatMul", [h, b.initializer("head.weight", b.he_normal((6, 10), 6, 1.0))])
    h = b.node("Add", [h, b.initializer("head.bias", (r.standard_normal(10) * 0.1).astype(np.float32))])
    q = net.conv(b.inputs[0].name, 3, 4, 3, "q", bn=False, conv_bias=True, act=None, zero={0: "zero"})
    q = b.transpose(q, [0, 2, 3, 1])
    q = b.node("Softmax", [q], axis=-1)
    model = net.finish([h, q])
    # dw conv: outputs 4, 5 read input channel 2 (dead): give their BN beta < 0, mean 0.
    inits = {i.name: i for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "BatchNormalization" and "dw" in node.name:
            beta = onnx.numpy_helper.to_array(inits[node.input[2]]).copy()
            mean = onnx.numpy_helper.to_array(inits[node.input[3]]).copy()
            beta[4], beta[5], mean[4], mean[5] = -0.3, -0.5, 0.0, 0.0
            inits[node.input[2]].CopyFrom(onnx.numpy_helper.from_array(beta, node.input[2]))
            inits[node.input[3]].CopyFrom(onnx.numpy_helper.from_array(mean, node.input[3]))
    total = (conv_params(3, 6, 3) + 3 + 3 + conv_params(3, 6, 3, groups=3) + bn_params(9)
             + conv_params(9, 7, 3) + (7 * 4 * 9 + 4) + 4 * 10 + 10 + conv_params(3, 4, 3))
    dense = (conv_params(3, 8, 3) + 4 + 4 + conv_params(4, 8, 3, groups=4) + bn_params(12)
             + conv_params(12, 8, 3) + (8 * 6 * 9 + 6) + 6 * 10 + 10 + conv_params(3, 4, 3))
    add("mixed_ops", model, [1, 3, 16, 16], total, dense,
        {"conv0": [1, 6], "dw": [4, 5], "e": [5], "convt": [2, 4]}, mixed_ops.__doc__.split("\n")[0])


@generator
def conv1d_prelu() -> None:
    """1-D convs (run as 2-D by Edge) with a per-channel PRelu between them and Elu after.

    conv0 filters 1 (bias 0: prelu(0) = 0), 4 (bias > 0) and 6 (bias < 0: prelu gives
    slope * bias, a non-zero constant) all go: the reader is an unpadded 1-wide conv that
    folds constants into its bias. The PRelu slope loses the same channels."""
    net = Net("conv1d_prelu")
    b = net.b
    r = net.rng
    x = b.input("input", [1, 3, 32])
    w0 = b.he_normal((8, 3, 3), 9)
    b0 = (r.standard_normal(8) * 0.1).astype(np.float32)
    for c, v in ((1, 0.0), (4, 0.5), (6, -0.4)):
        w0[c] = 0
        b0[c] = v
    y = b.node("Conv", [x, b.initializer("conv0.weight", w0), b.initializer("conv0.bias", b0)],
               kernel_shape=[3], pads=[1, 1], strides=[1])
    slope = r.uniform(0.05, 0.3, (8, 1)).astype(np.float32)
    y = b.node("PRelu", [y, b.initializer("prelu.slope", slope)])
    w1 = b.he_normal((8, 8, 1), 8, 1.0)
    y = b.node("Conv", [y, b.initializer("conv1.weight", w1),
                        b.initializer("conv1.bias", (r.standard_normal(8) * 0.1).astype(np.float32))],
               kernel_shape=[1], pads=[0, 0], strides=[1])
    y = b.node("Elu", [y], alpha=0.5)
    model = net.finish(y)
    add("conv1d_prelu", model, [1, 3, 32], (5 * 3 * 3 + 5) + 5 + (8 * 5 + 8), (8 * 3 * 3 + 8) + 8 + (8 * 8 + 8),
        {"conv0": [1, 4, 6]}, conv1d_prelu.__doc__.split("\n")[0])


# ====================================================================== writing


def write_case(case: dict, out_root: Path) -> int:
    d = out_root / case["name"]
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    model = case["model"]
    onnx.checker.check_model(model, full_check=True)
    (d / "model.onnx").write_bytes(model.SerializeToString())
    rng = np.random.default_rng(seed_of("pruning", case["name"], "input"))
    inputs = list(em.graph_input_shapes(model).keys())
    feeds = {inputs[0]: rng.standard_normal(case["input_shape"]).astype(np.float32)}
    outs = em.run_onnxruntime(model, feeds)
    run = write_run(d, 0, "run0", {}, feeds, outs, inputs[:1], [o.name for o in model.graph.output], case["name"])
    info = {"model": "model.onnx", "tolerance": TOLERANCE, "runs": [run],
            "min_params": case["min_params"], "dense_params": case["dense_params"],
            "removed": case["removed"], "note": case["note"]}
    write_case_json(d, info)
    return sum(f.stat().st_size for f in d.iterdir())


README = """# Channel-pruning fixtures

Generated by `python3 Tools/make_pruning_fixtures.py` (deterministic; do not edit by hand).
Same layout as `../models/*` (model.onnx, case.json, run0_in_0.npy, run0_out_*.npy with
onnxruntime 1.20.1 outputs; a value passes when |edge - ref| <= tolerance * (1 + |ref|),
tolerance 1e-5 here). case.json also holds:

* `min_params`: the lossless minimum parameter count once exactly the removable channels
  are gone, counted as Edge stores weights (`edgec inspect --json` "params": Conv weight +
  bias, Gemm B + C, standalone BatchNormalization scale + shift, constant operands).
* `dense_params`: the same count without pruning.
* `removed`: per layer, the channels the generator expects to be removed.
* `note`: what the case tests.

Cases: VGG-16-BN at width 1/16 with 30/50/70 % zeroed filters, ResNet basic and
bottleneck blocks with projection shortcuts, a MobileNetV2 inverted residual pair,
a DenseNet-style Concat block, squeeze-excitation, Flatten -> Gemm, the traps
(constant channels before a padded 3x3 conv / an unpadded 1x1 conv, a channel dead in
one Add operand only, dead filters under Sigmoid, a dead channel in one Concat input)
and `mixed_ops` (Split, Resize with sizes, depthwise multiplier, standalone BN, Pad,
ConvTranspose, Reshape, MatMul, Transpose + Softmax), `conv1d_prelu` (1-D convs, PRelu,
Elu). Tests: Tests/EdgeCompilerTests/PruningTests.swift.

A full-width VGG-16-BN for timing (not a fixture, 134 MB):
`python3 Tools/make_pruning_fixtures.py --vgg16-full /tmp/vgg16_full.onnx`.
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--only", default=None)
    ap.add_argument("--vgg16-full", type=Path, default=None, metavar="FILE.onnx",
                    help="only write a full-width VGG-16-BN (224x224, 50%% zeroed filters, hidden 4096) "
                         "to FILE.onnx (for timing the pass; not a fixture) and print its min_params")
    args = ap.parse_args(argv)
    if args.vgg16_full:
        vgg16(0.5, width_div=1, size=224, hidden=4096, name="vgg16_bn_full_s50")
        c = CASES[-1]
        args.vgg16_full.write_bytes(c["model"].SerializeToString())
        print(f"{args.vgg16_full}: params {c['dense_params']} -> min {c['min_params']}")
        return 0
    generator.run_all()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for c in CASES:
        if args.only and args.only not in c["name"]:
            continue
        size = write_case(c, out)
        total += size
        print(f"  {c['name']:24s} params {c['dense_params']:7d} -> min {c['min_params']:7d}  {size / 1024:7.1f} KiB")
    (out / "README.md").write_text(README)
    print(f"total {total / 1024:.1f} KiB in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
