import EdgeFormat
import EdgeRuntime

/// A place to split a model in two: after layer `layer`, the head runs layers
/// `0...layer` and the tail the rest.
///
/// A cut is valid when exactly one tensor crosses it (`SlicePlan`'s clean-cut rule, with
/// views counted as the tensor they view): the head reads only the model input, and one
/// tensor goes from head to tail. Cuts inside a residual block (branch and shortcut both
/// cross) are refused; so are cuts after a graph output.
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
        // SlicePlan finds what enters and leaves each half; a tensor read only through a
        // view (the Flatten before a classifier's Gemm) enters the tail as that view, so
        // crossing tensors are compared by the bytes they view (their root).
        let head = try SlicePlan(model: model, range: 0..<(layer + 1), strict: false)
        let tail = try SlicePlan(model: model, range: (layer + 1)..<n, strict: false)
        func names(_ ids: [Int]) -> String { ids.map { "'" + model.tensors[$0].name + "'" }.joined(separator: ", ") }
        guard model.graph.inputs.count == 1, head.inputs == [Int(model.graph.inputs[0])] else {
            throw EdgeError(.invalidArgument, "cut after layer \(layer): the head must read exactly the model's one input, it reads \(names(head.inputs))")
        }
        var crossing: [Int] = []
        for t in tail.inputs + head.outputs where !crossing.contains(Cut.root(model, t)) { crossing.append(Cut.root(model, t)) }
        guard crossing.count == 1 else {
            throw EdgeError(.invalidArgument, "cut after layer \(layer) is not a clean cut: \(crossing.count) tensors cross it (\(names(crossing)))")
        }
        var producer = [Int](repeating: -1, count: model.tensors.count)
        for (i, op) in model.ops.enumerated() { for id in op.outputs { producer[Int(id)] = i } }
        for id in model.graph.outputs where producer[Cut.root(model, Int(id))] <= layer {
            throw EdgeError(.invalidArgument, "cut after layer \(layer): graph output '\(model.tensors[Int(id)].name)' is produced by the head")
        }
        self.layer = layer
        self.tensor = crossing[0]
        self.outputs = model.graph.outputs.map { Int($0) }
    }

    /// The tensor whose bytes `t` views (itself when it is no view).
    static func root(_ model: EdgmModel, _ t: Int) -> Int {
        var r = t
        while model.tensors[r].aliasOf >= 0 { r = Int(model.tensors[r].aliasOf) }
        return r
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
