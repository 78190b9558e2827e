import CEdgeSupport
import EdgeFormat

/// Per-axis source positions of a Resize (ONNX Resize-13), computed once at load.
///
/// Resize is separable: every output row reads the same input rows and every output
/// column the same input columns, whatever the plane. So the coordinate transform,
/// rounding and clamping run `outH + outW` times at load instead of per element, and
/// `run` is table lookups plus (for linear) two lerps per element.
struct ResizeAxis {
    /// Nearest: the source index. Linear: the lower of the two source indices.
    var lower: [Int32] = []
    /// Linear: the upper source index (== lower at the borders).
    var upper: [Int32] = []
    /// Linear: weight of `upper`; `lower` gets 1 - weight.
    var weight: [Float] = []

    init(input: Int, output: Int, scale: Float, mode: ResizeMode,
         transform: ResizeCoordinateTransform, nearest: ResizeNearestMode) {
        for o in 0..<output {
            let x = ResizeAxis.sourceCoordinate(o, scale: scale, input: input, output: output, transform: transform)
            switch mode {
            case .nearest:
                lower.append(Int32(ResizeAxis.nearestIndex(x, mode: nearest, input: input)))
            case .linear:
                // Clamping the coordinate to the input equals ONNX's edge-replicating
                // neighbours: outside, both taps read the border element. Written so a
                // NaN coordinate also lands on 0 instead of trapping in Int(_:).
                var c = x > 0 ? x : 0
                if c > Float(input - 1) { c = Float(input - 1) }
                let i0 = Int(floorf(c))
                lower.append(Int32(i0))
                upper.append(Int32(Swift.min(i0 + 1, input - 1)))
                weight.append(c - Float(i0))
            }
        }
    }

    /// `x_original` of ONNX Resize for output index `o` along one axis, in Float like
    /// onnxruntime (the rounding of nearest ties depends on it).
    static func sourceCoordinate(_ o: Int, scale: Float, input: Int, output: Int,
                                 transform: ResizeCoordinateTransform) -> Float {
        let xr = Float(o)
        switch transform {
        case .halfPixel:
            return (xr + 0.5) / scale - 0.5
        case .pytorchHalfPixel:
            return output > 1 ? (xr + 0.5) / scale - 0.5 : 0
        case .asymmetric:
            return xr / scale
        case .alignCorners:
            return output > 1 ? xr * Float(input - 1) / Float(output - 1) : 0
        }
    }

    /// The nearest source index, clamped into the input.
    static func nearestIndex(_ x: Float, mode: ResizeNearestMode, input: Int) -> Int {
        let f = floorf(x)
        let r: Float
        switch mode {
        case .roundPreferFloor: r = x - f == 0.5 ? f : roundf(x)
        case .roundPreferCeil: r = x - f == 0.5 ? f + 1 : roundf(x)
        case .floor: r = f
        case .ceil: r = ceilf(x)
        }
        // Compare in Float first: a huge coordinate must not trap converting to Int.
        if !(r > 0) { return 0 }
        if r >= Float(input - 1) { return input - 1 }
        return Int(r)
    }
}
