/// The worst relative error |got - want| / (1 + |want|) and where it is; NaN counts as
/// infinitely wrong. Nil when the element counts differ.
public func worstRelativeErrorAndIndex(_ got: [Float], _ want: [Float]) -> (error: Float, index: Int)? {
    guard got.count == want.count else { return nil }
    var worst: Float = 0
    var index = 0
    for i in 0..<got.count {
        let e = abs(got[i] - want[i]) / (1 + abs(want[i]))
        if !(e <= worst) {
            worst = e.isNaN ? .infinity : e
            index = i
        }
    }
    return (worst, index)
}

/// Largest |got - want| / (1 + |want|), or nil when the element counts differ.
public func worstRelativeError(_ got: [Float], _ want: [Float]) -> Float? {
    worstRelativeErrorAndIndex(got, want)?.error
}
