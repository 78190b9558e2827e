/// The frame loop of a streaming detector, shared by the evaluator's simulation and the
/// selector's staleness estimate so both reason about the same schedule.
///
/// Frames arrive every `interval` (frame k at k * interval). A free detector takes the
/// newest frame that has arrived and that it has not processed yet; if there is none it
/// waits for the next arrival. Frames that arrive while it is busy are skipped. The
/// output of frame k, finished at time f, serves every frame whose timestamp is >= f
/// until a newer output finishes (streaming evaluation, Li, Wang & Ramanan 2020).
public enum StreamSchedule {
    /// The frame a detector that became free at `time` takes next and when it starts, or
    /// nil when the stream has no frame left. `timestamps` are the frames' arrival times
    /// (ascending); `lastStarted` is the last frame it took (-1 before the first).
    public static func nextStart(freeAt time: Double, lastStarted: Int, timestamps: [Double]) -> (frame: Int, start: Double)? {
        // newest arrived frame: the last k with timestamps[k] <= time (binary search)
        var lo = 0, hi = timestamps.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if timestamps[mid] <= time + 1e-9 { lo = mid + 1 } else { hi = mid }
        }
        let arrived = lo - 1
        if arrived > lastStarted { return (arrived, time) }
        let next = lastStarted + 1
        guard next < timestamps.count else { return nil }
        return (next, max(time, timestamps[next]))
    }

    /// Mean age, in frames, of the output each frame is evaluated against, for a constant
    /// latency and frame interval (the first `warmup` frames, before the loop settles, are
    /// not counted). For latency <= interval it is 1: the output for frame k is never
    /// ready at k's own timestamp, so frame k sees frame k - 1's.
    public static func meanStaleness(latency: Double, interval: Double, frames: Int = 96, warmup: Int = 16) -> Double {
        let h = staleness(latencies: [latency], interval: interval, frames: frames, warmup: warmup)
        var total = 0.0, n = 0
        for (age, count) in h.enumerated() { total += Double(age * count); n += count }
        return n > 0 ? total / Double(n) : Double(frames)
    }

    /// How often each age (index, in frames) occurs when the detector's runs take the
    /// `latencies` in turn (cycled: a latency distribution given by a few quantiles).
    public static func staleness(latencies: [Double], interval: Double, frames: Int = 96, warmup: Int = 16) -> [Int] {
        precondition(!latencies.isEmpty && interval > 0 && frames > warmup)
        for l in latencies { precondition(l >= 0) }
        var timestamps: [Double] = []
        for k in 0..<frames { timestamps.append(Double(k) * interval) }
        var doneFrame = -1                                   // the output in service
        var run = 0
        var job = nextStart(freeAt: 0, lastStarted: -1, timestamps: timestamps)
        var histogram = [Int](repeating: 0, count: frames + 1)
        for k in 0..<frames {
            while let j = job, j.start + latencies[run % latencies.count] <= timestamps[k] + 1e-12 {
                doneFrame = j.frame
                let free = j.start + latencies[run % latencies.count]
                run += 1
                job = nextStart(freeAt: free, lastStarted: j.frame, timestamps: timestamps)
            }
            if k >= warmup && doneFrame >= 0 { histogram[k - doneFrame] += 1 }
        }
        return histogram
    }
}
