/// A 2-D sliding window's attributes (Conv, ConvTranspose, MaxPool, AveragePool), as
/// stored: raw `Int64`s, range-checked by the runtime's `WindowAxis` against the shapes.
public struct Window2D: Equatable {
    public var kernelH: Int64, kernelW: Int64
    public var strideH: Int64 = 1, strideW: Int64 = 1
    public var dilationH: Int64 = 1, dilationW: Int64 = 1
    public var padTop: Int64 = 0, padLeft: Int64 = 0, padBottom: Int64 = 0, padRight: Int64 = 0

    public init(kernelH: Int64, kernelW: Int64, strideH: Int64 = 1, strideW: Int64 = 1,
                dilationH: Int64 = 1, dilationW: Int64 = 1,
                padTop: Int64 = 0, padLeft: Int64 = 0, padBottom: Int64 = 0, padRight: Int64 = 0) {
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.dilationH = dilationH
        self.dilationW = dilationW
        self.padTop = padTop
        self.padLeft = padLeft
        self.padBottom = padBottom
        self.padRight = padRight
    }

    /// From ONNX-ordered lists: kernel [h, w], strides [h, w], dilations [h, w],
    /// pads [top, left, bottom, right].
    public init(kernel: [Int], strides: [Int], dilations: [Int], pads: [Int]) {
        self.init(kernelH: Int64(kernel[0]), kernelW: Int64(kernel[1]),
                  strideH: Int64(strides[0]), strideW: Int64(strides[1]),
                  dilationH: Int64(dilations[0]), dilationW: Int64(dilations[1]),
                  padTop: Int64(pads[0]), padLeft: Int64(pads[1]), padBottom: Int64(pads[2]), padRight: Int64(pads[3]))
    }
}

/// `conv` and `convTranspose`.
/// ints [act, group, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight];
/// floats [alpha, beta]
public struct ConvParams: OpRecord {
    public var activation: FusedActivation
    public var group: Int64
    public var window: Window2D

    public init(activation: FusedActivation = .none, group: Int64 = 1, window: Window2D) {
        self.activation = activation
        self.group = group
        self.window = window
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 12, floats: 2)
        activation = try FusedActivation(prefixOf: op)
        let v = op.ints
        group = v[1]
        window = Window2D(kernelH: v[2], kernelW: v[3], strideH: v[4], strideW: v[5], dilationH: v[6], dilationW: v[7],
                          padTop: v[8], padLeft: v[9], padBottom: v[10], padRight: v[11])
    }

    public var ints: [Int64] {
        let w = window
        return [activation.kind.rawValue, group, w.kernelH, w.kernelW, w.strideH, w.strideW, w.dilationH, w.dilationW,
                w.padTop, w.padLeft, w.padBottom, w.padRight]
    }
    public var floats: [Float] { [activation.alpha, activation.beta] }
}

/// `maxPool`. ints [kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight]
public struct MaxPoolParams: OpRecord {
    public var window: Window2D

    public init(window: Window2D) {
        self.window = window
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 10, floats: 0)
        let v = op.ints
        window = Window2D(kernelH: v[0], kernelW: v[1], strideH: v[2], strideW: v[3], dilationH: v[4], dilationW: v[5],
                          padTop: v[6], padLeft: v[7], padBottom: v[8], padRight: v[9])
    }

    public var ints: [Int64] {
        let w = window
        return [w.kernelH, w.kernelW, w.strideH, w.strideW, w.dilationH, w.dilationW, w.padTop, w.padLeft, w.padBottom, w.padRight]
    }
    public var floats: [Float] { [] }
}

/// `averagePool` (no dilation: the window's is 1).
/// ints [kH, kW, strideH, strideW, padTop, padLeft, padBottom, padRight, countIncludePad]
public struct AveragePoolParams: OpRecord {
    public var window: Window2D
    public var countIncludePad: Bool

    public init(window: Window2D, countIncludePad: Bool) {
        self.window = window
        self.countIncludePad = countIncludePad
    }

    public init(_ op: OpDescription) throws(EdgeError) {
        try op.checkLists(ints: 9, floats: 0)
        let v = op.ints
        guard v[8] == 0 || v[8] == 1 else {
            throw EdgeError(.format, "op '\(op.name)': countIncludePad must be 0 or 1, found \(v[8])")
        }
        window = Window2D(kernelH: v[0], kernelW: v[1], strideH: v[2], strideW: v[3],
                          padTop: v[4], padLeft: v[5], padBottom: v[6], padRight: v[7])
        countIncludePad = v[8] == 1
    }

    public var ints: [Int64] {
        let w = window
        return [w.kernelH, w.kernelW, w.strideH, w.strideW, w.padTop, w.padLeft, w.padBottom, w.padRight, countIncludePad ? 1 : 0]
    }
    public var floats: [Float] { [] }
}
