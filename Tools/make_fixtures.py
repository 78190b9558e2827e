#!/usr/bin/env python3
"""Regenerates Edge's test fixtures under Tests/Fixtures/ (deterministically).

    python3 Tools/make_fixtures.py [--out DIR] [--only SUBSTRING] [--verbose]

Groups (each case is one directory holding model.onnx, case.json and .npy files):
    ops/<case>/          single operators and small fused patterns
    models/<name>/       small versions of the networks in Tools/edgetools/models.py
    unsupported/<case>/  models the compiler must reject (no expected outputs)

case.json:
    {"model": "model.onnx", "tolerance": 1e-4,
     "runs": [{"name": "default", "shapes": {"x": [1, 3, 32, 32]},
               "inputs": {"x": "run0_in_0.npy"}, "outputs": {"y": "run0_out_0.npy"}}]}
``shapes`` lists inputs with a symbolic dimension only. Expected outputs come from
onnxruntime (CPUExecutionProvider, graph optimizations disabled). A value passes when
|edge - ref| <= tolerance * (1 + |ref|). Unsupported cases carry "expect_error"
("unsupported" or "shape"), "node" (the offending node's name) and no runs.

The ops/, models/ and unsupported/ directories are deleted and rewritten on every run;
nothing else under Tests/Fixtures is touched except index.json and README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import edgetools.models as em  # noqa: E402
from edgetools.common import seed_of  # noqa: E402
from edgetools.models import GraphBuilder  # noqa: E402
from edgetools.fixtures import Registry, dump_json, write_case_json, write_run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "Tests" / "Fixtures"
GROUPS = ("ops", "models", "unsupported")


# ====================================================================== case model


class Case:
    def __init__(self, group: str, name: str, model: onnx.ModelProto,
                 runs: Optional[List[dict]] = None, tolerance: float = 1e-4,
                 gens: Optional[Dict[str, Callable]] = None, note: str = "",
                 expect_error: Optional[str] = None, node: Optional[str] = None,
                 op_type: Optional[str] = None):
        self.group, self.name, self.model = group, name, model
        self.runs = runs if runs is not None else [{"name": "default", "shapes": {}}]
        self.tolerance = tolerance
        self.gens = gens or {}
        self.note = note
        self.expect_error = expect_error
        self.node = node
        self.op_type = op_type


CASES: List[Case] = []


# Every case generator, registered where it is defined (run in definition order).
generator = Registry()


def add(case: Case) -> None:
    if any(c.group == case.group and c.name == case.name for c in CASES):
        raise ValueError(f"duplicate case {case.group}/{case.name}")
    CASES.append(case)


def op(name: str, model: onnx.ModelProto, **kw) -> None:
    add(Case("ops", name, model, **kw))


# Input generators (rng, shape) -> array
def positive(rng, shape):
    return (np.abs(rng.standard_normal(shape)) + 0.5).astype(np.float32)


def wide(rng, shape):
    return (rng.standard_normal(shape) * 4.0).astype(np.float32)


def sb(name: str, opset: int = 13) -> GraphBuilder:
    return GraphBuilder(name, seed_of("ops", name), opset)


def rnd(b: GraphBuilder, shape, scale: float = 1.0) -> np.ndarray:
    return (b.rng.standard_normal(shape) * scale).astype(np.float32)


def conv_w(b: GraphBuilder, cout, cin_g, kh, kw) -> np.ndarray:
    return rnd(b, (cout, cin_g, kh, kw), 1.0 / math.sqrt(cin_g * kh * kw))


def finish(b: GraphBuilder, outs: Sequence[str], names: Optional[Sequence[str]] = None) -> onnx.ModelProto:
    for i, o in enumerate(outs):
        b.output(o, names[i] if names else ("y" if len(outs) == 1 else f"y{i}"))
    return b.make_model(producer="edge-fixtures")


def dyn(*shapes_per_run: Dict[str, List[int]]) -> List[dict]:
    return [{"name": f"run{i}", "shapes": s} for i, s in enumerate(shapes_per_run)]


# ====================================================================== ops: Conv


def conv_case(name, x_shape, cout, k, stride=1, pads=None, group=1, dilation=1, bias=True,
              auto_pad=None, kernel_shape_attr=True, runs=None, x_name="x"):
    b = sb(name)
    x = b.input(x_name, x_shape)
    cin = x_shape[1] if isinstance(x_shape[1], int) else 3
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    ins = [x, b.initializer("weight", conv_w(b, cout, cin // group, kh, kw))]
    if bias:
        ins.append(b.initializer("bias", rnd(b, cout, 0.5)))
    attrs = dict(group=group, strides=[sh, sw], dilations=[dh, dw])
    if kernel_shape_attr:
        attrs["kernel_shape"] = [kh, kw]
    if auto_pad:
        attrs["auto_pad"] = auto_pad
    elif pads is not None:
        attrs["pads"] = pads if isinstance(pads, list) else [pads] * 4
    y = b.node("Conv", ins, **attrs)
    op(name, finish(b, [y]), runs=runs)


@generator
def ops_conv():
    conv_case("conv_3x3_pad1_bias", [1, 3, 8, 8], 8, 3, 1, 1)
    conv_case("conv_3x3_nopad_nobias", [1, 4, 7, 9], 6, 3, 1, 0, bias=False)
    # Big enough for the Winograd paths (WinogradF4.preferred, Winograd.applies), so the
    # device tests run the ARM output transforms: F(4x4) with partial tiles on both
    # sides, F(2x2) with asymmetric pads (16 4x4 tiles are too few for F(4x4)).
    conv_case("conv_3x3_winograd_f4", [1, 20, 27, 30], 24, 3, 1, 1)
    conv_case("conv_3x3_winograd_f2", [1, 17, 13, 15], 19, 3, 1, [1, 0, 1, 1])
    conv_case("conv_1x1", [1, 16, 5, 5], 24, 1, 1, 0, bias=False)
    conv_case("conv_1x1_bias_stride2", [1, 8, 9, 9], 12, 1, 2, 0)
    conv_case("conv_3x3_stride2_pad1", [1, 6, 10, 10], 8, 3, 2, 1)
    conv_case("conv_7x7_stride2_pad3", [1, 3, 20, 20], 8, 7, 2, 3, bias=False)
    conv_case("conv_5x5_stride3", [1, 2, 13, 11], 4, 5, 3, 1)
    conv_case("conv_groups2", [1, 8, 6, 6], 12, 3, 1, 1, group=2)
    conv_case("conv_groups4_stride2", [1, 16, 9, 9], 8, 3, 2, 1, group=4, bias=False)
    conv_case("conv_depthwise_3x3", [1, 12, 8, 8], 12, 3, 1, 1, group=12)
    conv_case("conv_depthwise_3x3_stride2", [1, 8, 9, 9], 8, 3, 2, 1, group=8, bias=False)
    conv_case("conv_depthwise_5x5", [1, 6, 11, 11], 6, 5, 1, 2, group=6)
    conv_case("conv_depthwise_multiplier2", [1, 4, 7, 7], 8, 3, 1, 1, group=4)
    conv_case("conv_dilation2", [1, 4, 12, 12], 6, 3, 1, 2, dilation=2)
    conv_case("conv_dilation_2x3", [1, 3, 13, 14], 4, 3, 1, [2, 3, 2, 3], dilation=(2, 3), bias=False)
    conv_case("conv_asym_pads", [1, 3, 8, 8], 5, 3, 1, [0, 1, 2, 1])
    conv_case("conv_asym_pads_stride2", [1, 3, 9, 8], 5, 3, 2, [1, 0, 0, 1], bias=False)
    conv_case("conv_autopad_same_upper", [1, 3, 7, 8], 4, 3, 2, auto_pad="SAME_UPPER")
    conv_case("conv_autopad_same_upper_k4", [1, 3, 9, 9], 4, 4, 2, auto_pad="SAME_UPPER", bias=False)
    conv_case("conv_autopad_same_lower", [1, 3, 7, 8], 4, 4, 1, auto_pad="SAME_LOWER")
    conv_case("conv_autopad_valid", [1, 3, 9, 9], 4, 3, 2, auto_pad="VALID")
    conv_case("conv_rect_kernel_3x5_stride_2x1", [1, 4, 9, 10], 6, (3, 5), (2, 1), [1, 2, 1, 2])
    conv_case("conv_no_kernel_shape_attr", [1, 3, 6, 6], 4, 3, 1, 1, kernel_shape_attr=False)
    conv_case("conv_wide_32_to_48", [1, 32, 16, 16], 48, 3, 1, 1)
    conv_case("conv_batch2", [2, 3, 6, 6], 4, 3, 1, 1)
    conv_case("conv_input_name_colon", [1, 3, 6, 6], 4, 3, 1, 1, x_name="input:0")
    conv_case("conv_dynamic_hw", [1, 3, "height", "width"], 4, 3, 2, 1,
              runs=dyn({"x": [1, 3, 8, 8]}, {"x": [1, 3, 11, 6]}))


def convt_case(name, x_shape, cout, k, stride=1, pads=None, output_padding=None, group=1,
               dilation=1, bias=True, output_shape=None, auto_pad=None):
    b = sb(name)
    x = b.input("x", x_shape)
    cin = x_shape[1]
    kh, kw = (k, k) if isinstance(k, int) else k
    w = rnd(b, (cin, cout // group, kh, kw), 1.0 / math.sqrt(cin / group * kh * kw / (stride * stride)))
    ins = [x, b.initializer("weight", w)]
    if bias:
        ins.append(b.initializer("bias", rnd(b, cout, 0.5)))
    attrs = dict(group=group, kernel_shape=[kh, kw], strides=[stride, stride],
                 dilations=[dilation, dilation])
    if pads is not None:
        attrs["pads"] = pads if isinstance(pads, list) else [pads] * 4
    if output_padding is not None:
        attrs["output_padding"] = output_padding
    if output_shape is not None:
        attrs["output_shape"] = output_shape
    if auto_pad is not None:
        attrs["auto_pad"] = auto_pad
    y = b.node("ConvTranspose", ins, **attrs)
    op(name, finish(b, [y]))


@generator
def ops_convtranspose():
    convt_case("convt_3x3_stride1", [1, 4, 5, 5], 6, 3)
    convt_case("convt_4x4_stride2_pad1", [1, 8, 6, 6], 4, 4, 2, 1)
    convt_case("convt_2x2_stride2_nobias", [1, 6, 4, 5], 3, 2, 2, 0, bias=False)
    convt_case("convt_3x3_stride2_pad1_outpad1", [1, 4, 5, 5], 4, 3, 2, 1, output_padding=[1, 1])
    convt_case("convt_3x3_stride2_outpad_asym", [1, 3, 4, 6], 5, 3, 2, 1, output_padding=[1, 0])
    convt_case("convt_groups2", [1, 8, 5, 5], 6, 3, 2, 1, group=2)
    convt_case("convt_depthwise", [1, 6, 4, 4], 6, 4, 2, 1, group=6, bias=False)
    convt_case("convt_asym_pads", [1, 3, 5, 5], 4, 3, 2, [0, 1, 1, 0])
    convt_case("convt_dilation2", [1, 3, 5, 5], 2, 3, 1, 0, dilation=2)
    convt_case("convt_output_shape", [1, 4, 5, 5], 3, 3, 2, output_shape=[9, 9])


# ====================================================================== ops: Gemm / MatMul


def gemm_case(name, m, k, n, transA=0, transB=0, alpha=None, beta=None, c_shape="vector",
              c_runtime=False):
    b = sb(name)
    a = b.input("a", [k, m] if transA else [m, k])
    bw = b.initializer("b", rnd(b, (n, k) if transB else (k, n), 1.0 / math.sqrt(k)))
    ins = [a, bw]
    if c_shape is not None:
        shape = {"vector": [n], "matrix": [m, n], "scalar": [], "one": [1], "column": [m, 1]}[c_shape]
        if c_runtime:
            ins.append(b.input("c", shape))
        else:
            ins.append(b.initializer("c", rnd(b, shape)))
    y = b.node("Gemm", ins, transA=transA or None, transB=transB or None, alpha=alpha, beta=beta)
    op(name, finish(b, [y]))


@generator
def ops_gemm():
    gemm_case("gemm_basic_vector_c", 4, 16, 8)
    gemm_case("gemm_transB_linear", 1, 32, 10, transB=1)
    gemm_case("gemm_transA", 5, 6, 7, transA=1)
    gemm_case("gemm_transA_transB", 3, 8, 4, transA=1, transB=1, c_shape="matrix")
    gemm_case("gemm_alpha_beta_matrix_c", 4, 5, 6, alpha=0.5, beta=2.0, c_shape="matrix")
    gemm_case("gemm_alpha_beta_vector_c", 2, 9, 3, transB=1, alpha=-1.5, beta=0.25)
    gemm_case("gemm_scalar_c", 3, 4, 5, c_shape="scalar")
    gemm_case("gemm_one_elem_c", 3, 4, 5, c_shape="one", beta=3.0)
    gemm_case("gemm_column_c", 4, 6, 5, c_shape="column")
    gemm_case("gemm_no_c", 6, 7, 8, transB=1, c_shape=None)
    gemm_case("gemm_runtime_c", 3, 5, 4, c_shape="matrix", c_runtime=True)
    gemm_case("gemm_large_k", 2, 300, 17, transB=1)


@generator
def ops_matmul():
    def mm(name, a_shape, b_shape, b_const=False):
        b = sb(name)
        a = b.input("a", a_shape)
        bb = (b.initializer("b", rnd(b, b_shape, 1.0 / math.sqrt(a_shape[-1])))
              if b_const else b.input("b", b_shape))
        op(name, finish(b, [b.node("MatMul", [a, bb])]))

    mm("matmul_2d", [5, 7], [7, 3])
    mm("matmul_2d_const_b", [4, 16], [16, 9], b_const=True)
    mm("matmul_3d_batched", [2, 4, 6], [2, 6, 5])
    mm("matmul_3d_by_2d_const", [2, 4, 6], [6, 5], b_const=True)
    mm("matmul_2d_by_3d", [4, 6], [3, 6, 5])
    mm("matmul_4d_broadcast", [2, 1, 4, 6], [1, 3, 6, 5])
    mm("matmul_4d_by_3d", [2, 3, 4, 5], [3, 5, 2])
    mm("matmul_vector_matrix", [6], [6, 5])
    mm("matmul_matrix_vector", [4, 6], [6])

    # MatMul + Add: the form torch exports nn.Linear on 3-D inputs
    name = "matmul_add_bias_3d"
    b = sb(name)
    x = b.input("x", [1, 5, 12])
    y = b.node("MatMul", [x, b.initializer("w", rnd(b, (12, 7), 0.3))])
    y = b.node("Add", [b.initializer("bias", rnd(b, (7,))), y])
    op(name, finish(b, [y]))


# ====================================================================== ops: pooling


def pool_case(name, opname, x_shape, k, stride=None, pads=None, ceil_mode=None,
              dilations=None, count_include_pad=None, auto_pad=None, opset=13):
    b = sb(name, opset)
    x = b.input("x", x_shape)
    kh, kw = (k, k) if isinstance(k, int) else k
    attrs = dict(kernel_shape=[kh, kw])
    if stride is not None:
        attrs["strides"] = [stride, stride] if isinstance(stride, int) else list(stride)
    if pads is not None:
        attrs["pads"] = pads if isinstance(pads, list) else [pads] * 4
    if ceil_mode is not None:
        attrs["ceil_mode"] = ceil_mode
    if dilations is not None:
        attrs["dilations"] = dilations
    if count_include_pad is not None:
        attrs["count_include_pad"] = count_include_pad
    if auto_pad is not None:
        attrs["auto_pad"] = auto_pad
    op(name, finish(b, [b.node(opname, [x], **attrs)]))


@generator
def ops_pool():
    P = pool_case
    P("maxpool_2x2_s2", "MaxPool", [1, 3, 8, 8], 2, 2)
    P("maxpool_3x3_s2_p1", "MaxPool", [1, 4, 9, 9], 3, 2, 1)
    P("maxpool_3x3_s1_no_strides_attr", "MaxPool", [1, 2, 6, 7], 3)
    P("maxpool_5x5_s1_p2", "MaxPool", [1, 3, 8, 8], 5, 1, 2)
    # ceil_mode: the extra window starts inside the input (see README: ORT and PyTorch
    # disagree when it would start in the padding, so no fixture does that)
    P("maxpool_ceil_2x2_s2", "MaxPool", [1, 2, 7, 7], 2, 2, 0, ceil_mode=1)
    P("maxpool_ceil_3x3_s2", "MaxPool", [1, 2, 8, 10], 3, 2, 0, ceil_mode=1)
    P("maxpool_ceil_3x3_s2_p1", "MaxPool", [1, 2, 8, 8], 3, 2, 1, ceil_mode=1)
    P("maxpool_dilation2", "MaxPool", [1, 2, 9, 9], 2, 1, 0, dilations=[2, 2])
    P("maxpool_dilation2_s2_p1", "MaxPool", [1, 2, 10, 10], 3, 2, 1, dilations=[2, 2], opset=13)
    P("maxpool_asym_pads", "MaxPool", [1, 2, 7, 6], 3, 2, [0, 1, 1, 0])
    P("maxpool_rect_3x2_s_1x2", "MaxPool", [1, 3, 6, 8], (3, 2), (1, 2))
    P("maxpool_same_upper", "MaxPool", [1, 2, 7, 7], 3, 2, auto_pad="SAME_UPPER")
    P("avgpool_2x2_s2", "AveragePool", [1, 3, 8, 8], 2, 2)
    P("avgpool_3x3_s1_p1_exclude_pad", "AveragePool", [1, 2, 6, 6], 3, 1, 1, count_include_pad=0)
    P("avgpool_3x3_s1_p1_include_pad", "AveragePool", [1, 2, 6, 6], 3, 1, 1, count_include_pad=1)
    P("avgpool_3x3_s2_p1_include_pad", "AveragePool", [1, 3, 9, 9], 3, 2, 1, count_include_pad=1)
    P("avgpool_asym_pads_exclude", "AveragePool", [1, 2, 7, 7], 3, 2, [1, 0, 0, 1], count_include_pad=0)
    P("avgpool_asym_pads_include", "AveragePool", [1, 2, 7, 7], 3, 2, [1, 0, 0, 1], count_include_pad=1)
    P("avgpool_ceil_exclude_pad", "AveragePool", [1, 2, 7, 7], 2, 2, 0, ceil_mode=1, count_include_pad=0)
    P("avgpool_ceil_p1_exclude_pad", "AveragePool", [1, 2, 6, 6], 3, 2, 1, ceil_mode=1, count_include_pad=0)
    P("avgpool_ceil_exact_include_pad", "AveragePool", [1, 2, 7, 7], 3, 2, 1, ceil_mode=1, count_include_pad=1)
    P("avgpool_rect_2x3", "AveragePool", [1, 2, 6, 9], (2, 3), (2, 3))
    for opname, sizes in (("GlobalAveragePool", [[1, 8, 5, 5], [1, 5, 3, 7], [2, 3, 1, 1]]),
                          ("GlobalMaxPool", [[1, 6, 4, 4]])):
        for s in sizes:
            name = f"{'gap' if opname == 'GlobalAveragePool' else 'gmp'}_{'x'.join(map(str, s))}"
            b = sb(name)
            op(name, finish(b, [b.node(opname, [b.input("x", s)])]))


# ====================================================================== ops: elementwise


@generator
def ops_binary():
    def bin2(name, opname, a_shape, b_shape, b_const=False, gens=None, const_node=False, swap=False):
        b = sb(name)
        a = b.input("a", a_shape)
        if b_const:
            arr = rnd(b, b_shape)
            if gens and "b" in gens:
                arr = gens["b"](b.rng, b_shape)
            bb = b.constant(arr) if const_node else b.initializer("b", arr)
        else:
            bb = b.input("b", b_shape)
        ins = [bb, a] if swap else [a, bb]
        op(name, finish(b, [b.node(opname, ins)]), gens={k: v for k, v in (gens or {}).items() if not (b_const and k == "b")})

    bin2("add_same_shape", "Add", [1, 3, 4, 4], [1, 3, 4, 4])
    bin2("add_scalar_const", "Add", [1, 3, 4, 4], [], b_const=True)
    bin2("add_scalar_constant_node", "Add", [1, 3, 4, 4], [], b_const=True, const_node=True)
    bin2("add_per_channel_const", "Add", [1, 4, 3, 3], [4, 1, 1], b_const=True)
    bin2("add_const_first", "Add", [1, 4, 3, 3], [1, 4, 1, 1], b_const=True, swap=True)
    bin2("add_bidirectional", "Add", [2, 1, 4], [3, 1])
    bin2("add_row_vector", "Add", [2, 3, 5], [5])
    bin2("sub_two_inputs", "Sub", [1, 2, 3, 3], [1, 2, 3, 3])
    bin2("sub_row_const", "Sub", [1, 2, 3, 5], [5], b_const=True)
    bin2("sub_const_minus_x", "Sub", [1, 2, 3, 3], [1], b_const=True, swap=True)
    bin2("mul_se_broadcast", "Mul", [1, 6, 4, 4], [1, 6, 1, 1])
    bin2("mul_scalar_const", "Mul", [1, 3, 4, 4], [], b_const=True)
    bin2("mul_4d_outer", "Mul", [1, 3, 1, 5], [1, 1, 4, 1])
    bin2("mul_per_channel_const", "Mul", [1, 5, 2, 3], [5, 1, 1], b_const=True)
    bin2("div_two_inputs", "Div", [1, 3, 4, 4], [1, 3, 4, 4], gens={"b": positive})
    bin2("div_scalar_const", "Div", [1, 3, 4, 4], [], b_const=True, gens={"b": positive})
    bin2("div_const_by_x", "Div", [1, 2, 3, 3], [2, 1, 1], b_const=True, swap=True,
         gens={"a": positive, "b": positive})
    bin2("div_broadcast_inputs", "Div", [2, 3, 4], [3, 1], gens={"b": positive})
    bin2("max_two_inputs", "Max", [1, 3, 4, 4], [1, 3, 4, 4])
    bin2("min_broadcast_const", "Min", [1, 3, 4, 4], [1, 3, 1, 1], b_const=True)
    bin2("pow_elementwise", "Pow", [1, 2, 3, 3], [1, 2, 3, 3], gens={"a": positive})

    name = "pow_scalar_const_2"
    b = sb(name)
    op(name, finish(b, [b.node("Pow", [b.input("x", [1, 3, 4, 4]), b.constant(np.float32(2.0))])]))
    name = "pow_scalar_const_0_5"
    b = sb(name)
    op(name, finish(b, [b.node("Pow", [b.input("x", [1, 3, 4, 4]), b.initializer("e", np.array([0.5], np.float32))])]),
       gens={"x": positive})
    name = "pow_scalar_const_3"
    b = sb(name)
    op(name, finish(b, [b.node("Pow", [b.input("x", [2, 5]), b.constant(np.float32(3.0))])]))

    # Sum: variadic with broadcasting
    name = "sum_three_inputs_broadcast"
    b = sb(name)
    ins = [b.input("a", [1, 3, 4, 4]), b.input("b", [1, 3, 1, 4]), b.input("c", [4])]
    op(name, finish(b, [b.node("Sum", ins)]))
    name = "sum_two_with_const"
    b = sb(name)
    ins = [b.input("a", [2, 3, 4]), b.initializer("c", rnd(b, (3, 1)))]
    op(name, finish(b, [b.node("Sum", ins)]))
    name = "sum_single_input"
    b = sb(name)
    op(name, finish(b, [b.node("Sum", [b.input("a", [1, 2, 3])])]))


@generator
def ops_unary():
    def un(name, opname, shape=(1, 3, 4, 5), opset=13, gens=None, extra_inputs=(), **attrs):
        b = sb(name, opset)
        ins = [b.input("x", list(shape))]
        for e in extra_inputs:
            if e is None:
                ins.append("")
            else:
                ins.append(b.constant(np.float32(e)))
        op(name, finish(b, [b.node(opname, ins, **attrs)]), gens=gens)

    un("relu", "Relu")
    un("relu_2d", "Relu", shape=(3, 7))
    un("sigmoid", "Sigmoid", gens={"x": wide})
    un("tanh", "Tanh", gens={"x": wide})
    un("leakyrelu_default_alpha", "LeakyRelu")
    un("leakyrelu_alpha_0_1", "LeakyRelu", alpha=0.1)
    un("leakyrelu_alpha_0_2_3d", "LeakyRelu", shape=(2, 3, 4), alpha=0.2)
    un("hardsigmoid_default", "HardSigmoid", gens={"x": wide})
    un("hardsigmoid_torch", "HardSigmoid", gens={"x": wide}, alpha=1.0 / 6.0, beta=0.5)
    un("hardsigmoid_custom", "HardSigmoid", gens={"x": wide}, alpha=0.3, beta=0.4)
    un("hardswish", "HardSwish", opset=14, gens={"x": wide})
    un("sqrt", "Sqrt", gens={"x": positive})
    un("exp", "Exp")
    un("log", "Log", gens={"x": positive})
    un("neg", "Neg")
    un("abs", "Abs")
    un("reciprocal", "Reciprocal", gens={"x": positive})
    # Clip: attributes (opset 6) and inputs (opset 11+; absent ones as "")
    un("clip_opset6_attrs", "Clip", opset=6, gens={"x": wide}, min=-0.5, max=0.7)
    un("clip_opset6_relu6_attrs", "Clip", opset=6, gens={"x": wide}, min=0.0, max=6.0)
    un("clip_opset13_min_max_inputs", "Clip", gens={"x": wide}, extra_inputs=(-1.0, 2.5))
    un("clip_opset13_relu6_inputs", "Clip", gens={"x": wide}, extra_inputs=(0.0, 6.0))
    un("clip_opset13_min_only", "Clip", gens={"x": wide}, extra_inputs=(0.25,))
    un("clip_opset13_max_only", "Clip", gens={"x": wide}, extra_inputs=(None, 1.5))
    un("clip_opset11_no_bounds", "Clip", opset=11)

    # Clip bounds as initializers rather than Constant nodes
    name = "clip_opset13_initializer_bounds"
    b = sb(name)
    y = b.node("Clip", [b.input("x", [1, 4, 3, 3]), b.initializer("lo", np.array(-0.3, np.float32)),
                        b.initializer("hi", np.array(0.9, np.float32))])
    op(name, finish(b, [y]))


@generator
def ops_softmax_lrn_reduce():
    def sm(name, shape, axis, opset):
        b = sb(name, opset)
        op(name, finish(b, [b.node("Softmax", [b.input("x", shape)], axis=axis)]), gens={"x": wide})

    sm("softmax_opset13_axis1_4d", [1, 5, 3, 3], 1, 13)
    sm("softmax_opset13_axis_neg1", [2, 3, 7], -1, 13)
    sm("softmax_opset13_axis2_3d", [2, 4, 3], 2, 13)
    sm("softmax_opset13_axis0", [3, 4], 0, 13)
    sm("softmax_opset13_axis3_4d", [1, 2, 3, 6], 3, 13)
    sm("softmax_opset11_axis1_2d", [2, 10], 1, 11)
    sm("softmax_opset11_default_axis_2d", [3, 6], 1, 11)
    # opset < 13 coerces to 2-D: axis=1 on 4-D is a softmax over C*H*W
    sm("softmax_opset11_axis1_4d_coerced", [1, 3, 2, 2], 1, 11)

    def lrn(name, shape, size, **attrs):
        b = sb(name)
        op(name, finish(b, [b.node("LRN", [b.input("x", shape)], size=size, **attrs)]), gens={"x": wide})

    lrn("lrn_size5_alexnet", [1, 8, 5, 5], 5, alpha=1e-4, beta=0.75, bias=1.0)
    lrn("lrn_size3_strong", [1, 6, 4, 4], 3, alpha=0.5, beta=0.6, bias=2.0)
    # (even sizes are valid ONNX, but onnxruntime 1.20.1 rejects them: "size_ % 2 == 1")
    lrn("lrn_size5_narrow_channels", [1, 3, 3, 3], 5, alpha=0.2, beta=0.75, bias=1.0)
    lrn("lrn_defaults", [1, 5, 3, 3], 3)

    def rm(name, shape, axes, keepdims, opset=13, axes_input=False, noop=None):
        b = sb(name, opset)
        x = b.input("x", shape)
        if axes_input and axes is not None:
            y = b.node("ReduceMean", [x, b.i64(axes)], keepdims=keepdims, noop_with_empty_axes=noop)
        else:
            y = b.node("ReduceMean", [x], axes=axes, keepdims=keepdims)
        op(name, finish(b, [y]))

    rm("reducemean_hw_keepdims1", [1, 4, 5, 6], [2, 3], 1)
    rm("reducemean_hw_keepdims0", [1, 4, 5, 6], [2, 3], 0)
    rm("reducemean_axis1_keepdims0", [2, 3, 4], [1], 0)
    rm("reducemean_neg_axis_keepdims1", [2, 3, 4], [-1], 1)
    rm("reducemean_all_axes_default", [2, 3, 4], None, 1)
    rm("reducemean_all_axes_keepdims0", [2, 3, 4], None, 0)
    rm("reducemean_opset18_axes_input", [1, 4, 5, 6], [2, 3], 1, opset=18, axes_input=True)
    rm("reducemean_opset18_axes_input_keepdims0", [1, 4, 5, 6], [-1, 1], 0, opset=18, axes_input=True)
    rm("reducemean_opset18_no_axes", [2, 3, 4], None, 0, opset=18)


@generator
def ops_bn():
    def bn_params(b, c):
        var = b.rng.uniform(0.3, 2.0, c).astype(np.float32)
        return [b.initializer("gamma", rnd(b, c)), b.initializer("beta", rnd(b, c)),
                b.initializer("mean", rnd(b, c, 0.5)), b.initializer("var", var)]

    name = "batchnorm_on_input"
    b = sb(name)
    y = b.node("BatchNormalization", [b.input("x", [1, 4, 3, 5])] + bn_params(b, 4), epsilon=1e-5)
    op(name, finish(b, [y]))

    name = "batchnorm_after_add"
    b = sb(name)
    s = b.node("Add", [b.input("a", [1, 6, 4, 4]), b.input("b", [1, 6, 4, 4])])
    y = b.node("BatchNormalization", [s] + bn_params(b, 6), epsilon=1e-3)
    op(name, finish(b, [y]))

    name = "batchnorm_after_maxpool_relu"
    b = sb(name)
    s = b.node("MaxPool", [b.input("x", [1, 5, 6, 6])], kernel_shape=[2, 2], strides=[2, 2])
    y = b.node("BatchNormalization", [s] + bn_params(b, 5))
    op(name, finish(b, [b.node("Relu", [y])]))

    name = "batchnorm_2d_input"
    b = sb(name)
    y = b.node("BatchNormalization", [b.input("x", [3, 7])] + bn_params(b, 7))
    op(name, finish(b, [y]))

    name = "batchnorm_opset9"
    b = sb(name, 9)
    y = b.node("BatchNormalization", [b.input("x", [1, 3, 4, 4])] + bn_params(b, 3), epsilon=1e-5)
    op(name, finish(b, [y]))


# ====================================================================== ops: shape / data movement


@generator
def ops_shape():
    def chain(name, shape, build, opset=13, runs=None, gens=None):
        b = sb(name, opset)
        x = b.input("x", shape)
        outs = build(b, x)
        outs = outs if isinstance(outs, list) else [outs]
        op(name, finish(b, outs), runs=runs, gens=gens)

    # Concat
    name = "concat_axis1_three_inputs"
    b = sb(name)
    ins = [b.input("a", [1, 2, 3, 3]), b.input("b", [1, 4, 3, 3]), b.input("c", [1, 1, 3, 3])]
    op(name, finish(b, [b.concat(ins, 1)]))
    name = "concat_axis_neg1_with_const"
    b = sb(name)
    ins = [b.input("a", [2, 3, 4]), b.initializer("k", rnd(b, (2, 3, 2)))]
    op(name, finish(b, [b.concat(ins, -1)]))
    name = "concat_axis0"
    b = sb(name)
    op(name, finish(b, [b.concat([b.input("a", [2, 5]), b.input("b", [3, 5])], 0)]))
    name = "concat_axis2_4d"
    b = sb(name)
    op(name, finish(b, [b.concat([b.input("a", [1, 2, 3, 4]), b.input("b", [1, 2, 1, 4])], 2)]))

    # Split
    chain("split_equal_opset13", [1, 6, 4, 4],
          lambda b, x: b.node("Split", [x], n_out=3, axis=1))
    chain("split_sizes_input_opset13", [1, 6, 4, 4],
          lambda b, x: b.node("Split", [x, b.i64([2, 3, 1])], n_out=3, axis=1))
    chain("split_last_axis_sizes_input", [2, 3, 10],
          lambda b, x: b.node("Split", [x, b.i64([4, 6])], n_out=2, axis=-1))
    chain("split_attr_opset11", [1, 5, 4, 2],
          lambda b, x: b.node("Split", [x], n_out=2, axis=2, split=[1, 3]), opset=11)
    chain("split_num_outputs_opset18", [1, 3, 7],
          lambda b, x: b.node("Split", [x], n_out=3, axis=2, num_outputs=3), opset=18)

    # Slice (opset 13: starts, ends, axes, steps inputs)
    def sl(starts, ends, axes=None, steps=None):
        def f(b, x):
            ins = [x, b.i64(starts), b.i64(ends)]
            if axes is not None or steps is not None:
                ins.append(b.i64(axes) if axes is not None else "")
            if steps is not None:
                ins.append(b.i64(steps))
            return b.node("Slice", ins)
        return f

    INT64_MAX, INT64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    chain("slice_basic_axes", [1, 6, 8, 8], sl([1, 2], [5, 7], [1, 3]))
    chain("slice_no_axes_all_dims", [2, 5, 6], sl([0, 1, 2], [2, 4, 6]))
    chain("slice_negative_indices", [1, 4, 10], sl([-7], [-1], [-1]))
    chain("slice_step2", [1, 3, 9, 9], sl([0, 1], [9, 9], [2, 3], [2, 3]))
    chain("slice_negative_step_reverse", [1, 3, 5, 6], sl([-1], [INT64_MIN], [3], [-1]))
    chain("slice_negative_step2", [2, 9], sl([7], [0], [1], [-2]))
    chain("slice_clamped_end_int64max", [1, 5, 6], sl([2], [INT64_MAX], [1]))
    chain("slice_clamped_out_of_range", [1, 5, 6], sl([-100, 1], [100, 1000], [2, 1]))
    chain("slice_axes_only_steps_absent", [3, 4, 5], sl([1], [3], [0]))
    chain("slice_steps_no_axes_input", [3, 8], sl([0, 1], [3, 8], None, [1, 3]))

    # Reshape / Flatten / Squeeze / Unsqueeze / Transpose
    chain("reshape_zero_and_minus1", [1, 6, 4, 4], lambda b, x: b.reshape(x, [0, -1]))
    chain("reshape_zero_keep_two", [2, 3, 4, 5], lambda b, x: b.reshape(x, [0, 0, -1]))
    chain("reshape_4d_to_3d", [1, 8, 3, 2], lambda b, x: b.reshape(x, [2, 4, 6]))
    chain("reshape_initializer_shape", [2, 12],
          lambda b, x: b.node("Reshape", [x, b.initializer("shape", np.array([4, 3, 2], np.int64))]))
    chain("flatten_axis1", [1, 3, 4, 5], lambda b, x: b.node("Flatten", [x], axis=1))
    chain("flatten_default_axis", [2, 3, 4], lambda b, x: b.node("Flatten", [x]))
    chain("flatten_axis2", [2, 3, 4, 5], lambda b, x: b.node("Flatten", [x], axis=2))
    chain("flatten_axis0", [2, 3, 4], lambda b, x: b.node("Flatten", [x], axis=0))
    chain("flatten_axis_neg1", [2, 3, 4], lambda b, x: b.node("Flatten", [x], axis=-1))
    chain("squeeze_axes_input_opset13", [1, 3, 1, 5],
          lambda b, x: b.node("Squeeze", [x, b.i64([0, 2])]))
    chain("squeeze_no_axes", [1, 4, 1, 1], lambda b, x: b.node("Squeeze", [x]))
    chain("squeeze_neg_axis", [2, 3, 1], lambda b, x: b.node("Squeeze", [x, b.i64([-1])]))
    chain("squeeze_attr_opset11", [1, 3, 1, 5], lambda b, x: b.node("Squeeze", [x], axes=[2]), opset=11)
    chain("unsqueeze_axes_input_opset13", [3, 5], lambda b, x: b.node("Unsqueeze", [x, b.i64([0, 3])]))
    chain("unsqueeze_neg_axes", [2, 3], lambda b, x: b.node("Unsqueeze", [x, b.i64([-1, 1])]))
    chain("unsqueeze_attr_opset11", [4, 5], lambda b, x: b.node("Unsqueeze", [x], axes=[1]), opset=11)
    chain("transpose_0231", [1, 3, 4, 5], lambda b, x: b.transpose(x, [0, 2, 3, 1]))
    chain("transpose_0312", [1, 3, 4, 5], lambda b, x: b.transpose(x, [0, 3, 1, 2]))
    chain("transpose_default_reverse", [2, 3, 4], lambda b, x: b.node("Transpose", [x]))
    chain("transpose_2d", [5, 7], lambda b, x: b.transpose(x, [1, 0]))
    chain("transpose_3d_021", [2, 6, 5], lambda b, x: b.transpose(x, [0, 2, 1]))
    chain("transpose_5d", [1, 2, 3, 2, 4], lambda b, x: b.transpose(x, [0, 2, 1, 4, 3]))

    # Pad (opset 13: pads and optional constant_value inputs)
    def pad(pads, mode=None, value=None):
        def f(b, x):
            ins = [x, b.i64(pads)]
            if value is not None:
                ins.append(b.constant(np.float32(value)))
            return b.node("Pad", ins, mode=mode)
        return f

    chain("pad_constant_zero", [1, 2, 4, 4], pad([0, 0, 1, 2, 0, 0, 2, 1]))
    chain("pad_constant_value", [1, 2, 3, 4], pad([0, 0, 1, 1, 0, 0, 1, 1], "constant", 0.5))
    chain("pad_constant_channels", [1, 3, 2, 2], pad([0, 1, 0, 0, 0, 2, 0, 0], "constant", -1.0))
    chain("pad_reflect", [1, 2, 5, 5], pad([0, 0, 2, 1, 0, 0, 1, 2], "reflect"))
    chain("pad_edge", [1, 2, 4, 5], pad([0, 0, 1, 3, 0, 0, 2, 0], "edge"))
    chain("pad_reflect_3d", [2, 3, 6], pad([0, 0, 3, 0, 0, 2], "reflect"))
    chain("pad_edge_2d", [3, 4], pad([2, 0, 1, 3], "edge"))
    chain("pad_opset11_pads_initializer", [1, 2, 3, 3],
          lambda b, x: b.node("Pad", [x, b.initializer("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))],
                              mode="constant"), opset=11)
    chain("pad_opset2_attrs", [1, 2, 3, 3],
          lambda b, x: b.node("Pad", [x], pads=[0, 0, 1, 0, 0, 0, 0, 2], mode="constant", value=0.25),
          opset=10)


@generator
def ops_resize():
    def rs(name, shape, mode, ctm=None, nearest=None, scales=None, sizes=None, opset=13,
           roi_form="empty"):
        b = sb(name, opset)
        x = b.input("x", shape)
        if opset >= 13:
            roi = ""
        else:  # opset 11: roi and scales must be present (possibly empty tensors)
            roi = b.constant(np.zeros(0, np.float32))
        if scales is not None:
            ins = [x, roi, b.constant(np.array(scales, np.float32))]
        else:
            empty_scales = "" if opset >= 13 else b.constant(np.zeros(0, np.float32))
            ins = [x, roi, empty_scales, b.constant(np.array(sizes, np.int64))]
        y = b.node("Resize", ins, mode=mode, coordinate_transformation_mode=ctm, nearest_mode=nearest)
        op(name, finish(b, [y]))

    rs("resize_nearest_asym_floor_x2", [1, 2, 4, 5], "nearest", "asymmetric", "floor", scales=[1, 1, 2, 2])
    rs("resize_nearest_asym_floor_x3_x2", [1, 2, 3, 4], "nearest", "asymmetric", "floor", scales=[1, 1, 3, 2])
    rs("resize_nearest_half_pixel_rpf_x2", [1, 2, 4, 4], "nearest", "half_pixel", "round_prefer_floor",
       scales=[1, 1, 2, 2])
    rs("resize_nearest_half_pixel_rpf_down", [1, 2, 8, 8], "nearest", "half_pixel", "round_prefer_floor",
       scales=[1, 1, 0.5, 0.5])
    rs("resize_nearest_defaults_x2", [1, 3, 3, 3], "nearest", scales=[1, 1, 2, 2])
    rs("resize_nearest_asym_floor_sizes", [1, 2, 4, 6], "nearest", "asymmetric", "floor", sizes=[1, 2, 8, 9])
    rs("resize_nearest_half_pixel_rpc_sizes", [1, 2, 5, 4], "nearest", "half_pixel", "round_prefer_ceil",
       sizes=[1, 2, 10, 12])
    rs("resize_nearest_align_corners_sizes", [1, 1, 4, 4], "nearest", "align_corners", "round_prefer_floor",
       sizes=[1, 1, 7, 7])
    rs("resize_linear_half_pixel_x2", [1, 2, 4, 5], "linear", "half_pixel", scales=[1, 1, 2, 2])
    rs("resize_linear_half_pixel_down", [1, 2, 8, 8], "linear", "half_pixel", scales=[1, 1, 0.5, 0.5])
    rs("resize_linear_align_corners_x2", [1, 2, 4, 4], "linear", "align_corners", scales=[1, 1, 2, 2])
    rs("resize_linear_align_corners_sizes", [1, 2, 3, 5], "linear", "align_corners", sizes=[1, 2, 7, 8])
    rs("resize_linear_pytorch_half_pixel_sizes", [1, 2, 6, 8], "linear", "pytorch_half_pixel",
       sizes=[1, 2, 1, 5])
    rs("resize_linear_pytorch_half_pixel_x2", [1, 2, 3, 3], "linear", "pytorch_half_pixel", scales=[1, 1, 2, 2])
    rs("resize_linear_asymmetric_x2", [1, 2, 4, 4], "linear", "asymmetric", scales=[1, 1, 2, 2])
    rs("resize_linear_asymmetric_x1_5", [1, 1, 4, 6], "linear", "asymmetric", scales=[1, 1, 1.5, 1.5])
    rs("resize_linear_half_pixel_sizes", [1, 3, 5, 7], "linear", "half_pixel", sizes=[1, 3, 8, 12])
    rs("resize_opset11_nearest_scales", [1, 2, 3, 3], "nearest", "asymmetric", "floor",
       scales=[1, 1, 2, 2], opset=11)
    rs("resize_opset11_linear_sizes", [1, 2, 4, 4], "linear", "align_corners", sizes=[1, 2, 6, 6], opset=11)


# ====================================================================== ops: fused patterns & folding


@generator
def ops_fused():
    def conv(b, x, cin, cout, k=3, bias=True, stride=1, group=1):
        ins = [x, b.initializer("weight", conv_w(b, cout, cin // group, k, k))]
        if bias:
            ins.append(b.initializer("bias", rnd(b, cout, 0.3)))
        return b.node("Conv", ins, kernel_shape=[k, k], pads=[k // 2] * 4, strides=[stride, stride],
                      group=group)

    def bn(b, x, c):
        return b.bn(x, c, module=None)

    def fused(name, build, shape=(1, 4, 6, 6), opset=13):
        b = sb(name, opset)
        x = b.input("x", list(shape))
        op(name, finish(b, [build(b, x)]))

    fused("fused_conv_bn", lambda b, x: bn(b, conv(b, x, 4, 6, bias=False), 6))
    fused("fused_conv_bias_bn", lambda b, x: bn(b, conv(b, x, 4, 6), 6))
    fused("fused_conv_relu", lambda b, x: b.node("Relu", [conv(b, x, 4, 6)]))
    fused("fused_conv_bn_relu", lambda b, x: b.node("Relu", [bn(b, conv(b, x, 4, 8, bias=False), 8)]))
    fused("fused_conv_bn_relu6_clip", lambda b, x: b.clip(bn(b, conv(b, x, 4, 8, bias=False), 8), 0.0, 6.0))
    fused("fused_dwconv_bn_relu6", lambda b, x: b.clip(bn(b, conv(b, x, 4, 4, bias=False, group=4), 4), 0.0, 6.0))
    fused("fused_conv_leakyrelu", lambda b, x: b.node("LeakyRelu", [conv(b, x, 4, 5)], alpha=0.1))
    fused("fused_conv_sigmoid", lambda b, x: b.node("Sigmoid", [conv(b, x, 4, 5)]))
    fused("fused_conv_tanh", lambda b, x: b.node("Tanh", [conv(b, x, 4, 5)]))
    fused("fused_conv_bn_silu", lambda b, x: b.silu(bn(b, conv(b, x, 4, 6, bias=False), 6)))
    fused("fused_conv_silu_sigmoid_first", lambda b, x: (lambda c: b.node("Mul", [b.node("Sigmoid", [c]), c]))(conv(b, x, 4, 6)))
    fused("fused_conv_hardswish", lambda b, x: b.node("HardSwish", [conv(b, x, 4, 6)]), opset=14)
    fused("fused_conv_hardsigmoid_mul", lambda b, x: b.hardswish(conv(b, x, 4, 6), decomposed=True), opset=14)
    fused("fused_conv_hardsigmoid", lambda b, x: b.node("HardSigmoid", [conv(b, x, 4, 6)], alpha=0.2, beta=0.5))

    def residual(b, x):
        y = b.node("Relu", [bn(b, conv(b, x, 4, 4, bias=False), 4)])
        y = bn(b, conv(b, y, 4, 4, bias=False), 4)
        return b.node("Relu", [b.node("Add", [y, x])])
    fused("fused_residual_add_relu", residual)

    def se(b, x):
        y = conv(b, x, 4, 8)
        s = b.node("GlobalAveragePool", [y])
        s = b.node("Relu", [conv(b, s, 8, 4, k=1)])
        s = b.node("HardSigmoid", [conv(b, s, 4, 8, k=1)], alpha=1.0 / 6.0, beta=0.5)
        return b.node("Mul", [s, y])
    fused("fused_squeeze_excitation", se)

    def gemm_relu(b, x):
        f = b.node("Flatten", [x], axis=1)
        g = b.node("Gemm", [f, b.initializer("w", rnd(b, (10, 144), 0.1)), b.initializer("c", rnd(b, 10))],
                   transB=1)
        return b.node("Relu", [g])
    fused("fused_flatten_gemm_relu", gemm_relu)

    def convt_bn_relu(b, x):
        w = b.initializer("w", rnd(b, (4, 3, 2, 2), 0.5))
        y = b.node("ConvTranspose", [x, w], kernel_shape=[2, 2], strides=[2, 2])
        return b.node("Relu", [bn(b, y, 3)])
    fused("fused_convtranspose_bn_relu", convt_bn_relu)

    def matmul_add_relu(b, x):
        y = b.node("MatMul", [x, b.initializer("w", rnd(b, (6, 5), 0.4))])
        y = b.node("Add", [y, b.initializer("bias", rnd(b, 5))])
        return b.node("Relu", [y])
    fused("fused_matmul_add_relu", matmul_add_relu, shape=(1, 4, 6, 6))


@generator
def ops_folding():
    """Shape arithmetic and constant subgraphs the compiler must fold away."""

    def case(name, shape, build, opset=13, runs=None):
        b = sb(name, opset)
        x = b.input("x", shape)
        op(name, finish(b, [build(b, x)]), runs=runs)

    # torch's flatten idiom on a runtime tensor
    case("fold_shape_gather_unsqueeze_concat_reshape", [1, 4, 3, 3], lambda b, x: b.flatten(x, "shape_chain"))

    # dynamic H/W: [N, C, H*W] computed from Shape; two runs at different sizes
    def hw_merge(b, x):
        s = b.node("Shape", [x])
        nc = b.node("Slice", [s, b.i64([0]), b.i64([2]), b.i64([0])])
        h = b.node("Gather", [s, b.constant(np.int64(2))], axis=0)
        w = b.node("Gather", [s, b.constant(np.int64(3))], axis=0)
        hw = b.unsqueeze(b.node("Mul", [h, w]), [0])
        y = b.node("Reshape", [x, b.concat([nc, hw], 0)])
        return b.node("Softmax", [y], axis=-1)
    case("fold_dynamic_hw_reshape_softmax", [1, 3, "height", "width"], hw_merge,
         runs=dyn({"x": [1, 3, 4, 4]}, {"x": [1, 3, 5, 7]}))

    # Shape -> Cast(float) -> scale -> Cast(int64) -> Concat -> Resize sizes
    def resize_from_shape(b, x):
        s = b.node("Shape", [x])
        hw = b.node("Slice", [s, b.i64([2]), b.i64([4])])
        hwf = b.node("Cast", [hw], to=TensorProto.FLOAT)
        hwf = b.node("Mul", [hwf, b.constant(np.float32(2.0))])
        hw2 = b.node("Cast", [hwf], to=TensorProto.INT64)
        nc = b.node("Slice", [s, b.i64([0]), b.i64([2])])
        sizes = b.concat([nc, hw2], 0)
        return b.node("Resize", [x, "", "", sizes], mode="nearest",
                      coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    case("fold_shape_cast_mul_resize_sizes", [1, 2, 3, "w"], resize_from_shape,
         runs=dyn({"x": [1, 2, 3, 4]}, {"x": [1, 2, 3, 5]}))

    # ConstantOfShape(Shape(x)) feeding an Add
    def cos_add(b, x):
        s = b.node("Shape", [x])
        ones = b.node("ConstantOfShape", [s], value=numpy_helper.from_array(np.array([1.5], np.float32)))
        return b.node("Add", [x, ones])
    case("fold_constantofshape_add", [1, 3, 2, 4], cos_add)

    # ConstantOfShape from a Constant shape, int64 -> Cast -> Mul
    def cos_cast(b, x):
        c = b.node("ConstantOfShape", [b.i64([1, 3, 1, 1])],
                   value=numpy_helper.from_array(np.array([3], np.int64)))
        return b.node("Mul", [x, b.node("Cast", [c], to=TensorProto.FLOAT)])
    case("fold_constantofshape_cast_mul", [1, 3, 2, 2], cos_cast)

    # weights computed from constants: Constant -> Transpose -> Reshape -> Conv weight
    def computed_weight(b, x):
        w = b.constant(rnd(b, (3, 3, 2, 4), 0.3))          # [kh, kw, cin, cout]
        w = b.node("Transpose", [w], perm=[3, 2, 0, 1])    # -> [cout, cin, kh, kw]
        w = b.node("Identity", [w])
        bias = b.node("Mul", [b.constant(rnd(b, 4)), b.constant(np.float32(0.5))])
        return b.node("Conv", [x, w, bias], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    case("fold_constant_weight_transpose_conv", [1, 2, 5, 5], computed_weight)

    # Identity / Dropout noise around real ops (Dropout opset 13 with ratio and training_mode=False)
    def noise(b, x):
        y = b.node("Identity", [x])
        y = b.node("Relu", [y])
        y = b.node("Dropout", [y, b.constant(np.float32(0.3)), b.constant(np.bool_(False))])
        y = b.node("Identity", [y])
        return b.node("Dropout", [b.node("Sigmoid", [y])])
    case("fold_identity_dropout_chain", [1, 3, 4, 4], noise)

    # Dropout at opset 10 (ratio attribute, mask output unused)
    def dropout10(b, x):
        outs = b.node("Dropout", [x], n_out=2, ratio=0.25)
        return b.node("Relu", [outs[0]])
    case("fold_dropout_opset10_mask_output", [1, 2, 3, 3], dropout10, opset=10)

    # [N, C, H*W] from Shape with scalar and 1-D Gather indices and int64 Mul/Div
    def gather_unsqueeze(b, x):
        s = b.node("Shape", [x])
        c = b.node("Gather", [s, b.i64([1])], axis=0)     # 1-D index -> 1-D result
        n = b.node("Gather", [s, b.constant(np.int64(0))], axis=0)
        n = b.node("Unsqueeze", [n, b.i64([0])])
        h = b.node("Gather", [s, b.i64([2])], axis=0)
        w = b.node("Gather", [s, b.i64([3])], axis=0)
        chw = b.node("Mul", [b.node("Mul", [c, h]), w])
        hw = b.node("Div", [chw, c])                       # int64 arithmetic
        target = b.concat([n, c, hw], 0)
        return b.node("Reshape", [x, target])
    case("fold_shape_gather_mul_div_reshape", [2, 3, 4, 5], gather_unsqueeze)

    # Constant-only subgraph feeding an Add operand (Range-free arithmetic)
    def const_arith(b, x):
        a = b.constant(rnd(b, (1, 4, 1, 1)))
        k = b.node("Sqrt", [b.node("Abs", [a])])
        k = b.node("Add", [k, b.constant(np.float32(1.0))])
        k = b.node("Unsqueeze", [b.node("Squeeze", [k, b.i64([0])]), b.i64([0])])
        return b.node("Mul", [x, k])
    case("fold_constant_arith_to_mul", [1, 4, 3, 3], const_arith)

    # graph input/output names with ':' and '/' (torch/TF-style), two outputs
    name = "names_with_colon_and_slash"
    b = sb(name)
    x = b.input("images:0", [1, 2, 3, 3])
    r = b.node("Relu", [x])
    s = b.node("Sigmoid", [x])
    op(name, finish(b, [r, s], names=["/model/Relu_output_0", "scores:0"]))

    # Shape of an intermediate (after a strided conv) used to reshape back
    def shape_of_intermediate(b, x):
        w = b.initializer("weight", conv_w(b, 6, 3, 3, 3))
        y = b.node("Conv", [x, w], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
        s = b.node("Shape", [y])
        t = b.node("Reshape", [y, b.i64([0, 2, 3, -1])])
        t = b.node("Transpose", [t], perm=[0, 2, 1, 3])
        return b.node("Reshape", [t, s])
    case("fold_shape_of_intermediate_channel_shuffle", [1, 3, "h", "w"], shape_of_intermediate,
         runs=dyn({"x": [1, 3, 8, 8]}, {"x": [1, 3, 6, 10]}))


# ====================================================================== models


MODEL_SPECS = [
    # name, builder, kwargs, runs (shapes per run), tolerance
    ("resnet18", "resnet18", dict(width=0.125, num_classes=10, flatten="shape_chain"),
     dyn({"input": [1, 3, 32, 32]}, {"input": [1, 3, 224, 224]})),
    ("vgg11_bn", "vgg11_bn", dict(width=0.125, num_classes=10, input_size=32, pool="gap", hidden=64),
     None),
    ("mobilenetv2", "mobilenetv2", dict(width=0.25, num_classes=10, input_size=64,
                                        scale_last_channel=True), None),
    ("mobilenetv2_opset10", "mobilenetv2", dict(width=0.1, num_classes=10, input_size=32, opset=10,
                                                scale_last_channel=True), None),
    ("mobilenetv3_small", "mobilenetv3_small", dict(width=0.25, num_classes=10, input_size=64), None),
    ("yolo_tiny", "yolo_tiny", dict(width=0.25, num_classes=3),
     dyn({"images": [1, 3, 64, 64]}, {"images": [1, 3, 64, 96]})),
]


@generator
def models():
    for name, builder, kw, runs in MODEL_SPECS:
        m = em.build_model(builder, seed=seed_of("models", name), **kw)
        add(Case("models", name, m, runs=runs))


# ====================================================================== unsupported


@generator
def unsupported():
    # 1. an op Edge has no kernel for
    b = GraphBuilder("nms", 1, 13)
    boxes = b.input("boxes", [1, 10, 4])
    scores = b.input("scores", [1, 2, 10])
    with b.scope("post"):
        sel = b.node("NonMaxSuppression", [boxes, scores, b.i64([5]), b.constant(np.float32(0.5))],
                     center_point_box=0)
    b.output(sel, "selected")
    m = b.make_model(producer="edge-fixtures")
    m.graph.output[0].type.tensor_type.elem_type = TensorProto.INT64
    add(Case("unsupported", "nms", m, runs=[], expect_error="unsupported",
             node="/post/NonMaxSuppression", op_type="NonMaxSuppression"))

    # 2. a custom-domain op between supported ones
    b = GraphBuilder("custom", 2, 13)
    b.extra_opsets["com.example.edge"] = 1
    x = b.input("x", [1, 3, 8, 8])
    y = b.conv(x, 3, 4, 3, 1, 1, module="conv")
    with b.scope("custom"):
        y = b.node("FancyActivation", [y], domain="com.example.edge", alpha=0.5)
    y = b.relu(y)
    b.output(y, "y", shape=[1, 4, 8, 8])
    add(Case("unsupported", "custom_domain_op", b.make_model(producer="edge-fixtures"), runs=[],
             expect_error="unsupported", node="/custom/FancyActivation",
             op_type="com.example.edge::FancyActivation"))

    # 3. an ONNX op that is valid and common but outside Edge's op set (ScatterND)
    b = GraphBuilder("scatter", 3, 13)
    x = b.input("x", [4, 3])
    with b.scope("update"):
        y = b.node("ScatterND", [x, b.i64([[1], [3]]), b.constant(np.ones((2, 3), np.float32))])
    b.output(y, "y", shape=[4, 3])
    add(Case("unsupported", "scatternd", b.make_model(producer="edge-fixtures"), runs=[],
             expect_error="unsupported", node="/update/ScatterND", op_type="ScatterND"))

    # 4. Conv weight expects 4 input channels, input has 3
    b = GraphBuilder("conv_channel_mismatch", 4, 13)
    x = b.input("x", [1, 3, 8, 8])
    w = b.initializer("conv.weight", (b.rng.standard_normal((8, 4, 3, 3)) * 0.2).astype(np.float32))
    with b.scope("conv"):
        y = b.node("Conv", [x, w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    y = b.relu(y)
    b.output(y, "y", shape=[1, 8, 8, 8])
    add(Case("unsupported", "conv_channel_mismatch", b.make_model(producer="edge-fixtures",
                                                                  infer_output_types=False),
             runs=[], expect_error="shape", node="/conv/Conv", op_type="Conv"))

    # 5. Gemm/Linear weight with the wrong K
    b = GraphBuilder("gemm_k_mismatch", 5, 13)
    x = b.input("x", [1, 16])
    w = b.initializer("fc.weight", (b.rng.standard_normal((10, 12)) * 0.2).astype(np.float32))
    with b.scope("fc"):
        y = b.node("Gemm", [x, w, b.initializer("fc.bias", np.zeros(10, np.float32))], transB=1)
    b.output(y, "y", shape=[1, 10])
    add(Case("unsupported", "gemm_k_mismatch", b.make_model(producer="edge-fixtures",
                                                            infer_output_types=False),
             runs=[], expect_error="shape", node="/fc/Gemm", op_type="Gemm"))


# ====================================================================== writing


def ort_outputs(model: onnx.ModelProto, feeds, optimize=False):
    return em.run_onnxruntime(model, feeds, optimize=optimize)


def run_feeds(case: Case, run: dict) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed_of(case.group, case.name, run["name"]))
    declared = em.graph_input_shapes(case.model)
    feeds = {}
    for name, dims in declared.items():
        shape = run["shapes"].get(name, dims)
        if any(not isinstance(v, int) for v in shape):
            raise ValueError(f"{case.name}: input {name} needs a concrete shape")
        gen = case.gens.get(name)
        feeds[name] = (gen(rng, shape) if gen else rng.standard_normal(shape)).astype(np.float32)
    return feeds


def declare_missing_output_shapes(case: Case) -> None:
    """Graph outputs whose shape ONNX inference cannot derive (shape arithmetic) get one
    from onnxruntime, as torch.onnx.export declares them: dims that vary between runs
    become symbolic."""
    model = case.model
    missing = [o for o in model.graph.output if not o.type.tensor_type.HasField("shape")]
    if not missing:
        return
    shapes = [{k: v.shape for k, v in ort_outputs(model, run_feeds(case, r)).items()} for r in case.runs]
    for o in missing:
        dims = []
        for i, d in enumerate(shapes[0][o.name]):
            same = all(s[o.name][i] == d for s in shapes)
            dims.append(int(d) if same else f"{o.name}_dim_{i}")
        o.type.tensor_type.elem_type = o.type.tensor_type.elem_type or TensorProto.FLOAT
        o.type.tensor_type.shape.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, dims).tensor_type.shape)


def rel_err(a: np.ndarray, ref: np.ndarray) -> float:
    a = a.astype(np.float64)
    ref = ref.astype(np.float64)
    if a.shape != ref.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - ref) / (1.0 + np.abs(ref))))


def write_case(case: Case, out_root: Path, verbose: bool = False) -> dict:
    d = out_root / case.group / case.name
    d.mkdir(parents=True, exist_ok=True)
    model = case.model
    try:
        if case.expect_error is None:
            declare_missing_output_shapes(case)
            onnx.checker.check_model(model, full_check=True)
        else:
            onnx.checker.check_model(model)
    except Exception as e:
        raise RuntimeError(f"{case.group}/{case.name}: {e}") from e
    (d / "model.onnx").write_bytes(model.SerializeToString())

    info = {"model": "model.onnx"}
    summary = {"group": case.group, "name": case.name, "ops": em.op_types(model),
               "opset": next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))}
    if case.expect_error is not None:
        info.update({"expect_error": case.expect_error, "node": case.node, "op_type": case.op_type,
                     "shapes": {}, "runs": []})
        write_case_json(d, info)
        summary["files"] = 2
        return summary

    info["tolerance"] = case.tolerance
    input_names = list(em.graph_input_shapes(model).keys())
    output_names = [o.name for o in model.graph.output]
    symbolic = set(em.symbolic_inputs(model))
    runs_json = []
    worst_opt = 0.0
    out_stats = []
    for ri, run in enumerate(case.runs):
        feeds = run_feeds(case, run)
        outs = ort_outputs(model, feeds)
        try:
            opt = ort_outputs(model, feeds, optimize=True)
            worst_opt = max(worst_opt, max(rel_err(opt[k], outs[k]) for k in outs))
        except Exception:
            pass
        shapes = {k: list(map(int, v)) for k, v in run["shapes"].items() if k in symbolic}
        rj = write_run(d, ri, run["name"], shapes, feeds, outs, input_names, output_names, case.name, max_abs=1e6)
        for name in output_names:
            arr = np.asarray(outs[name])
            out_stats.append(float(np.std(arr)) if arr.size > 1 else float(abs(arr).max()))
        runs_json.append(rj)
    info["runs"] = runs_json
    write_case_json(d, info)
    summary["_ort_opt_err"] = worst_opt  # printed only: it depends on the CPU's kernels
    summary["runs"] = len(runs_json)
    if worst_opt > case.tolerance * 0.2:
        print(f"  note: {case.group}/{case.name}: ORT optimized vs unoptimized differ by "
              f"{worst_opt:.2e} (tolerance {case.tolerance:g})")
    if verbose:
        print(f"  {case.group}/{case.name}: ops={summary['ops']} out std={out_stats}")
    return summary


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


README = """# Test fixtures

Generated by `python3 Tools/make_fixtures.py` (deterministic; do not edit by hand).
Requires the pinned packages in `Tools/requirements.txt`.

* `ops/<case>/`: single operators and small fused/folding patterns.
* `models/<name>/`: small versions of the networks in `Tools/edgetools/models.py`.
* `unsupported/<case>/`: models the compiler must reject; `case.json` has
  `"expect_error"` (`"unsupported"` or `"shape"`), `"node"` (the offending node's name)
  and `"op_type"`, and no runs.

(Other directories here, e.g. `onnx_reader/`, come from other generators and are left alone.)

Each case directory has `model.onnx` and `case.json`:

```json
{"model": "model.onnx", "tolerance": 0.0001,
 "runs": [{"name": "default", "shapes": {"x": [1, 3, 32, 32]},
           "inputs": {"x": "run0_in_0.npy"}, "outputs": {"y": "run0_out_0.npy"}}]}
```

`shapes` holds a concrete shape for each graph input with a symbolic dimension (pass
as `--shape x=1x3x32x32`). `inputs`/`outputs` map exact ONNX names to float32 C-order
`.npy` files. Expected outputs come from onnxruntime 1.20.1 (CPU, graph optimizations
disabled). A value passes when `|edge - ref| <= tolerance * (1 + |ref|)`.

`index.json` lists every case with its ONNX op types and opset; `"ops_used"` is the
union over all runnable cases.

onnxruntime behaviours deliberately kept out of the fixtures (implementations differ):
* MaxPool/AveragePool `ceil_mode=1` where the extra window would start inside the
  right padding: ORT 1.20.1 emits -FLT_MAX (MaxPool) / 0 (AveragePool) for it, where
  PyTorch drops the window.
* AveragePool `count_include_pad=1` with a `ceil_mode` window overhanging the padded
  input: ORT divides by the full kernel area; PyTorch by the part inside the padded input.
* LRN with an even `size`: valid ONNX, but ORT refuses to load it.
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--only", default=None, help="only cases whose group/name contains this")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    generator.run_all()

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    selected = [c for c in CASES if not args.only or args.only in f"{c.group}/{c.name}"]
    if not args.only:
        for g in GROUPS:
            shutil.rmtree(out / g, ignore_errors=True)

    # Model sanity: activations must stay O(1)
    for c in selected:
        if c.group == "models":
            run = c.runs[0]
            feeds = em.random_inputs(c.model, run["shapes"], seed=123)
            stds = em.check_output_scale(c.model, feeds)
            print(f"  model {c.name}: params={em.param_count(c.model)} "
                  f"onnx={c.model.ByteSize() / 1024:.0f} KiB output std="
                  + ", ".join(f"{k}={v:.3g}" for k, v in stds.items()))

    summaries = []
    for c in selected:
        summaries.append(write_case(c, out, args.verbose))

    if not args.only:
        ops_used = sorted({o for s in summaries if s["group"] != "unsupported" for o in s["ops"]})
        index = {"generator": "Tools/make_fixtures.py", "ops_used": ops_used,
                 "cases": [{k: v for k, v in s.items() if not k.startswith("_") and k != "files"}
                           for s in summaries]}
        (out / "index.json").write_text(json.dumps(index, indent=1) + "\n")
        (out / "README.md").write_text(README)

    print()
    for g in GROUPS:
        n = sum(1 for s in summaries if s["group"] == g)
        size = dir_size(out / g) if (out / g).exists() else 0
        print(f"{g:12s} {n:4d} cases  {size / 1024:8.1f} KiB")
    total = dir_size(out)
    print(f"{'total':12s} {len(summaries):4d} cases  {total / 1024:8.1f} KiB "
          f"({total / 1e6:.2f} MB) in {out}")
    ops_all = sorted({o for s in summaries if s["group"] != "unsupported" for o in s["ops"]})
    print(f"ONNX ops used ({len(ops_all)}): {' '.join(ops_all)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
