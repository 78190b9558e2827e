/// Principal directions of a tensor's channels, from calibration samples.
///
/// Each spatial position of each sample is one observation of a C-vector (NCHW: the
/// values x[n, :, h, w]; [N, C]: each row). The accumulator keeps the sum and the sum of
/// outer products in Double; `solve` centres them into the covariance and diagonalises
/// it with the cyclic Jacobi method (C is at most a few hundred here, and Jacobi is
/// simple, unconditionally stable and accurate for small eigenvalues too).
struct ChannelCovariance {
    let channels: Int
    var count = 0
    var sum: [Double]
    /// Upper triangle used; mirrored in `solve`.
    var outer: [Double]

    init(channels: Int) {
        self.channels = channels
        sum = [Double](repeating: 0, count: channels)
        outer = [Double](repeating: 0, count: channels * channels)
    }

    /// Adds one tensor of shape [N, C, H, W] or [N, C].
    mutating func add(_ x: UnsafeBufferPointer<Float>, shape: [Int]) {
        let c = channels
        let n = shape[0]
        let plane = shape.count == 4 ? shape[2] * shape[3] : 1
        var v = [Double](repeating: 0, count: c)
        for b in 0..<n {
            let base = b * c * plane
            for p in 0..<plane {
                for i in 0..<c { v[i] = Double(x[base + i * plane + p]) }
                for i in 0..<c {
                    let vi = v[i]
                    sum[i] += vi
                    let row = i * c
                    for j in i..<c { outer[row + j] += vi * v[j] }
                }
                count += 1
            }
        }
    }

    struct Result {
        var mean: [Float]
        /// Eigenvalues, descending.
        var variances: [Double]
        /// Eigenvectors as rows, in the order of `variances`: vectors[k * C + c].
        var vectors: [Float]

        /// Smallest K whose leading variances reach `fidelity` of the total.
        func components(explaining fidelity: Double) -> Int {
            let total = variances.reduce(0) { $0 + Swift.max($1, 0) }
            guard total > 0 else { return 1 }
            var acc = 0.0
            for (k, v) in variances.enumerated() {
                acc += Swift.max(v, 0)
                if acc >= fidelity * total { return k + 1 }
            }
            return variances.count
        }

        func explained(_ k: Int) -> Double {
            let total = variances.reduce(0) { $0 + Swift.max($1, 0) }
            guard total > 0 else { return 1 }
            return variances.prefix(k).reduce(0) { $0 + Swift.max($1, 0) } / total
        }
    }

    func solve() -> Result {
        let c = channels
        let m = Double(Swift.max(count, 1))
        var mean = [Double](repeating: 0, count: c)
        for i in 0..<c { mean[i] = sum[i] / m }
        var a = [Double](repeating: 0, count: c * c)
        for i in 0..<c {
            for j in i..<c {
                let v = outer[i * c + j] / m - mean[i] * mean[j]
                a[i * c + j] = v
                a[j * c + i] = v
            }
        }
        let (values, vectors) = SymmetricEigen.jacobi(a, n: c)
        let order = (0..<c).sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var rows = [Float](repeating: 0, count: c * c)
        for (k, e) in order.enumerated() {
            // Column e of the eigenvector matrix; sign fixed so the largest entry is positive
            // (a deterministic basis, whatever the rotation order).
            var big = 0
            for i in 0..<c where abs(vectors[i * c + e]) > abs(vectors[big * c + e]) { big = i }
            let sign: Double = vectors[big * c + e] < 0 ? -1 : 1
            for i in 0..<c { rows[k * c + i] = Float(sign * vectors[i * c + e]) }
        }
        return Result(mean: mean.map { Float($0) }, variances: order.map { values[$0] }, vectors: rows)
    }
}

enum SymmetricEigen {
    /// Eigen-decomposition of the symmetric n x n matrix `a` (row-major) by cyclic Jacobi
    /// rotations. Returns the eigenvalues and the eigenvectors as the columns of a
    /// row-major n x n matrix. Stops when the off-diagonal mass is negligible relative to
    /// the matrix, or after 100 sweeps (convergence is quadratic; a handful suffice).
    static func jacobi(_ input: [Double], n: Int) -> ([Double], [Double]) {
        var a = input
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        var scale = 0.0
        for x in a { scale += x * x }
        let tolerance = 1e-30 * Swift.max(scale, 1e-300)
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<Swift.max(n, p + 1) { off += a[p * n + q] * a[p * n + q] } }
            if off <= tolerance { break }
            for p in 0..<n {
                for q in (p + 1)..<Swift.max(n, p + 1) {
                    let apq = a[p * n + q]
                    if abs(apq) < 1e-300 { continue }
                    let app = a[p * n + p], aqq = a[q * n + q]
                    // Rotation angle that zeroes a[p][q] (Golub & Van Loan, sym.schur2).
                    let theta = (aqq - app) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let cs = 1 / (t * t + 1).squareRoot()
                    let sn = t * cs
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = cs * akp - sn * akq
                        a[k * n + q] = sn * akp + cs * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = cs * apk - sn * aqk
                        a[q * n + k] = sn * apk + cs * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = cs * vkp - sn * vkq
                        v[k * n + q] = sn * vkp + cs * vkq
                    }
                }
            }
        }
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n { values[i] = a[i * n + i] }
        return (values, v)
    }
}
