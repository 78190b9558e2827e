import CEdgeSupport
import EdgeFormat

// Reference Resize (ONNX Resize-13) over the last two dims, one output element at a time.
// The coordinate transform is evaluated in Float like onnxruntime: whether a nearest
// coordinate is exactly a tie depends on it.

/// `x_original` for output index `o` along an axis of `input` -> `output` elements.
public func referenceResizeCoordinate(_ o: Int, scale: Float, input: Int, output: Int,
                                      transform: ResizeCoordinateTransform) -> Float {
    let xr = Float(o)
    switch transform {
    case .halfPixel: return (xr + 0.5) / scale - 0.5
    case .pytorchHalfPixel: return output > 1 ? (xr + 0.5) / scale - 0.5 : 0
    case .asymmetric: return xr / scale
    case .alignCorners: return output == 1 ? 0 : xr * Float(input - 1) / Float(output - 1)
    }
}

/// Resize of `x` (`shape`, rank >= 2) to `outH x outW` planes.
public func referenceResize(_ x: [Float], shape: [Int], outH: Int, outW: Int, mode: ResizeMode,
                            transform: ResizeCoordinateTransform, nearest: ResizeNearestMode,
                            scaleH: Float, scaleW: Float) -> [Float] {
    let r = shape.count
    let inH = shape[r - 2], inW = shape[r - 1]
    var planes = 1
    for d in 0..<r - 2 { planes *= shape[d] }
    var result = [Float](repeating: 0, count: planes * outH * outW)
    // Element (p, i, j) with indices outside the input replaced by the nearest edge
    // (ONNX's reference pads the input with its edge values).
    func at(_ p: Int, _ i: Int, _ j: Int) -> Float {
        let ci = min(max(i, 0), inH - 1), cj = min(max(j, 0), inW - 1)
        return x[(p * inH + ci) * inW + cj]
    }
    func round(_ v: Float) -> Int {
        let f = v.rounded(.down)
        switch nearest {
        case .roundPreferFloor: return Int(v - f == 0.5 ? f : v.rounded(.toNearestOrAwayFromZero))
        case .roundPreferCeil: return Int(v - f == 0.5 ? f + 1 : v.rounded(.toNearestOrAwayFromZero))
        case .floor: return Int(f)
        case .ceil: return Int(v.rounded(.up))
        }
    }
    for p in 0..<planes {
        for oy in 0..<outH {
            // Everything beyond the edges reads the edge: limiting the coordinate to just
            // outside the input changes no result and keeps Int(_:) away from infinity.
            let sy = min(max(referenceResizeCoordinate(oy, scale: scaleH, input: inH, output: outH, transform: transform),
                             -2), Float(inH + 1))
            for ox in 0..<outW {
                let sx = min(max(referenceResizeCoordinate(ox, scale: scaleW, input: inW, output: outW, transform: transform),
                                 -2), Float(inW + 1))
                let value: Float
                switch mode {
                case .nearest:
                    value = at(p, round(sy), round(sx))
                case .linear:
                    let y0 = Int(sy.rounded(.down)), x0 = Int(sx.rounded(.down))
                    let fy = Double(sy) - Double(y0), fx = Double(sx) - Double(x0)
                    let top = (1 - fx) * Double(at(p, y0, x0)) + fx * Double(at(p, y0, x0 + 1))
                    let bottom = (1 - fx) * Double(at(p, y0 + 1, x0)) + fx * Double(at(p, y0 + 1, x0 + 1))
                    value = Float((1 - fy) * top + fy * bottom)
                }
                result[(p * outH + oy) * outW + ox] = value
            }
        }
    }
    return result
}
