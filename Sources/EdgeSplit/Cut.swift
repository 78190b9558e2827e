import EdgeFormat
import EdgeRuntime

/// A place to split a model in two: after layer `layer`, the head runs layers
/// `0...layer` and the tail the rest.
///
/// A cut is valid when exactly one tensor crosses it, which is `SlicePlan`'s strict rule
/// applied to both halves: one tensor enters the head (the model input) and one leaves
/// it, and that same tensor is the only one entering the tail. Cuts inside a residual
/// block (branch and shortcut both cross) are refused.
public struct Cut: Equatable {
    public var layer: Int
    /// The tensor that crosses (original model id).
    public var tensor: Int
    /// The tail's outputs: the model's graph outputs.
    public var outputs: [Int]

    public init(model: EdgmModel, layer: Int) throws(EdgeError) {
        let n = model.ops.count
        guard n >= 2 else {
            throw EdgeError(.invalidArgument, "a model of \(n) layer(s) has no cut")
        }
        guard layer >= 0, layer < n - 1 else {
            throw EdgeError(.invalidArgument, "cut after layer \(layer) is outside 0...\(n - 2) (the head and the tail each need a layer)")
        }
        let head = try SlicePlan(model: model, range: 0..<(layer + 1), strict: true)
        // The tail may end in several graph outputs (a detector's heads); one tensor enters it.
        let tail = try SlicePlan(model: model, range: (layer + 1)..<n, strict: false)
        guard tail.inputs.count == 1 else {
            let names = tail.inputs.map { "'" + model.tensors[$0].name + "'" }.joined(separator: ", ")
            throw EdgeError(.invalidArgument, "cut after layer \(layer) is not a clean cut: \(tail.inputs.count) tensors enter the tail (\(names))")
        }
        guard Set(tail.outputs.map { SlicePlan.root(model, $0) }) == Set(model.graph.outputs.map { SlicePlan.root(model, Int($0)) }) else {
            throw EdgeError(.invalidArgument, "cut after layer \(layer): some graph outputs are produced by the head")
        }
        guard SlicePlan.root(model, head.outputs[0]) == SlicePlan.root(model, tail.inputs[0]) else {
            throw EdgeError(.invalidArgument, "cut after layer \(layer): the head hands on '\(model.tensors[head.outputs[0]].name)' but the tail reads '\(model.tensors[tail.inputs[0]].name)'")
        }
        guard model.graph.inputs.count == 1, head.inputs[0] == Int(model.graph.inputs[0]) else {
            throw EdgeError(.invalidArgument, "cut after layer \(layer): the head must read the model's one input")
        }
        self.layer = layer
        self.tensor = head.outputs[0]
        self.outputs = model.graph.outputs.map { Int($0) }
    }

    /// Every valid cut, in layer order.
    public static func all(_ model: EdgmModel) -> [Cut] {
        var cuts: [Cut] = []
        guard model.ops.count >= 2 else { return cuts }
        for l in 0..<(model.ops.count - 1) {
            if let c = try? Cut(model: model, layer: l) { cuts.append(c) }
        }
        return cuts
    }

    /// `--at` text: a layer index or an op name (as `edgec inspect` lists them).
    public static func parse(_ text: String, model: EdgmModel) throws(EdgeError) -> Cut {
        var layer = Int(text)
        if layer == nil {
            for (i, op) in model.ops.enumerated() where op.name == text { layer = i }
        }
        guard let l = layer else {
            throw EdgeError(.invalidArgument, "--at '\(text)' is neither a layer index nor an op name of this model")
        }
        do {
            return try Cut(model: model, layer: l)
        } catch {
            let valid = Cut.all(model).map { "\($0.layer)" }
            let list = valid.count <= 40 ? valid.joined(separator: ", ") : valid.prefix(40).joined(separator: ", ") + ", ..."
            throw EdgeError(.invalidArgument, error.message + (valid.isEmpty ? "; this model has no valid cut" : "; valid cuts: " + list))
        }
    }
}
