#!/usr/bin/env python3
"""Writes the tiny .onnx files OnnxReaderTests reads, into Tests/Fixtures/onnx_reader/.

    python3 Tools/make_onnx_reader_fixtures.py

Needs the `onnx` and `numpy` pip packages (made with onnx 1.17). The files are committed;
rerun only when changing them, and keep the expected values in
Tests/EdgeCompilerTests/OnnxReaderTests.swift in step. Values are chosen to be exactly
representable so the tests can compare with ==.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "onnx_reader")


def save(model, name):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")


def model_of(graph, opset=13, **kw):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], **kw)
    m.ir_version = 8
    return m


def tiny_conv():
    # Conv(1->2 channels, 3x3, pad 1) + Relu; initializers stored as raw_data (numpy_helper).
    w = (np.arange(18, dtype=np.float32) * 0.25 - 2.0).reshape(2, 1, 3, 3)
    b = np.array([0.5, -1.5], dtype=np.float32)
    conv = helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv1",
                            kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], group=1)
    relu = helper.make_node("Relu", ["c"], ["y"], name="relu1")
    graph = helper.make_graph(
        [conv, relu], "tiny_conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
        value_info=[helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 2, 4, 4])])
    m = model_of(graph, producer_name="edge-fixtures", producer_version="1.0")
    m.opset_import.append(helper.make_opsetid("ai.onnx.ml", 3))
    helper.set_model_props(m, {"author": "edge", "purpose": "reader test"})
    assert m.graph.initializer[0].HasField("raw_data")
    save(m, "tiny_conv.onnx")


def float_data():
    # Typed-field storage: float_data, int64_data, double_data (raw=False).
    inits = [
        helper.make_tensor("f", TensorProto.FLOAT, [2, 3], [1.0, -2.5, 3.25, 0.0, 1e-3, -7.0]),
        helper.make_tensor("i64", TensorProto.INT64, [4], [1, -1, 2**40, -(2**62)]),
        helper.make_tensor("d", TensorProto.DOUBLE, [3], [0.5, -1.25, 1e10]),
        helper.make_tensor("scalar", TensorProto.FLOAT, [], [42.0]),
        helper.make_tensor("empty", TensorProto.FLOAT, [0, 3], []),
    ]
    assert not inits[0].HasField("raw_data") and len(inits[0].float_data) == 6
    node = helper.make_node("Add", ["x", "f"], ["y"])
    graph = helper.make_graph(
        [node], "float_data",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], inits)
    save(model_of(graph), "float_data.onnx")


def fp16_int():
    fp16_values = [1.0, -2.0, 0.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08]  # max, min normal, min subnormal
    inits = [
        # make_tensor(FLOAT16, raw=False) stores the bit patterns in int32_data.
        helper.make_tensor("h_int32", TensorProto.FLOAT16, [6], np.array(fp16_values, dtype=np.float16)),
        numpy_helper.from_array(np.array(fp16_values, dtype=np.float16), "h_raw"),
        helper.make_tensor("bf16", TensorProto.BFLOAT16, [3], [1.0, -3.0, 0.15625]),
        helper.make_tensor("i32", TensorProto.INT32, [2, 2], [1, -2, 2147483647, -2147483648]),
        numpy_helper.from_array(np.array([7, -9, 123456], dtype=np.int32), "i32_raw"),
        helper.make_tensor("bool", TensorProto.BOOL, [4], [True, False, False, True]),
        numpy_helper.from_array(np.array([False, True, True], dtype=np.bool_), "bool_raw"),
        helper.make_tensor("i8", TensorProto.INT8, [3], [-128, 0, 127]),
        numpy_helper.from_array(np.array([-5, 100], dtype=np.int8), "i8_raw"),
        helper.make_tensor("u8", TensorProto.UINT8, [3], [0, 128, 255]),
        numpy_helper.from_array(np.array([200, 1], dtype=np.uint8), "u8_raw"),
        helper.make_tensor("i16", TensorProto.INT16, [2], [-32768, 32767]),
        numpy_helper.from_array(np.array([-300, 300], dtype=np.int16), "i16_raw"),
        helper.make_tensor("u16", TensorProto.UINT16, [2], [0, 65535]),
        numpy_helper.from_array(np.array([65535, 7], dtype=np.uint16), "u16_raw"),
        helper.make_tensor("u32", TensorProto.UINT32, [2], [0, 4294967295]),
        numpy_helper.from_array(np.array([4294967295, 3], dtype=np.uint32), "u32_raw"),
        helper.make_tensor("u64", TensorProto.UINT64, [2], [0, 2**63 - 1]),
        numpy_helper.from_array(np.array([2**63 - 1, 9], dtype=np.uint64), "u64_raw"),
        numpy_helper.from_array(np.array([-(2**63), 2**63 - 1], dtype=np.int64), "i64_raw"),
        numpy_helper.from_array(np.array([0.1, -2.0], dtype=np.float64), "d_raw"),
    ]
    assert len(inits[0].int32_data) == 6 and inits[1].HasField("raw_data")
    node = helper.make_node("Identity", ["x"], ["y"])
    graph = helper.make_graph(
        [node], "fp16_int",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [6])], inits)
    save(model_of(graph, opset=17), "fp16_int.onnx")


def attributes():
    then_graph = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["t_out"])], "then_branch", [],
        [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [1])])
    else_graph = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["e_out"])], "else_branch", [],
        [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [1])])
    every = helper.make_node(
        "EveryKind", ["x", "", "z"], ["y", ""], name="every", domain="com.example",
        i=-7, f=0.375, s="héllo", ints=[1, -2, 3], floats=[0.5, -1.5], strings=["a", "bc", ""],
        t=helper.make_tensor("t", TensorProto.FLOAT, [2], [1.5, -0.25]),
        g=then_graph,
        tensors=[helper.make_tensor("t1", TensorProto.INT64, [1], [3])],
        graphs=[else_graph],
    )
    # An empty list needs its type spelled out.
    every.attribute.append(helper.make_attribute("empty_ints", [], attr_type=onnx.AttributeProto.INTS))
    # An IR-version-1 style attribute with no `type` field (inferred from the value).
    untyped = onnx.AttributeProto()
    untyped.name = "untyped_int"
    untyped.i = 9
    every.attribute.append(untyped)
    iff = helper.make_node("If", ["cond"], ["a"], name="if1", then_branch=then_graph, else_branch=else_graph)
    graph = helper.make_graph(
        [iff, every], "attributes",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    m = model_of(graph)
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    save(m, "attributes.onnx")


def dim_param():
    seq = helper.make_tensor_sequence_value_info("seq", TensorProto.FLOAT, None)
    no_shape = onnx.ValueInfoProto()
    no_shape.name = "no_shape"
    no_shape.type.tensor_type.elem_type = TensorProto.INT64
    no_type = onnx.ValueInfoProto()
    no_type.name = "no_type"
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "dim_param",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, None, "seq_len"]),
         helper.make_tensor_value_info("scalar", TensorProto.FLOAT, []),
         no_shape, no_type, seq],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, None, "seq_len"])])
    save(model_of(graph), "dim_param.onnx")


def external_data():
    w = onnx.TensorProto()
    w.name = "big_weight"
    w.data_type = TensorProto.FLOAT
    w.dims.extend([4])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "big_weight.bin"), ("offset", "0"), ("length", "16")):
        e = w.external_data.add()
        e.key, e.value = k, v
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "big_weight"], ["y"])], "external_data",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [w])
    save(model_of(graph), "external_data.onnx")
    with open(os.path.join(OUT, "big_weight.bin"), "wb") as f:
        f.write(np.array([1, 2, 3, 4], dtype=np.float32).tobytes())


def main():
    os.makedirs(OUT, exist_ok=True)
    tiny_conv()
    float_data()
    fp16_int()
    attributes()
    dim_param()
    external_data()


if __name__ == "__main__":
    main()
