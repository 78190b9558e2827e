// libFuzzer entry for the agent's frame decoder (Tools/fuzz_wire.sh builds and runs it).
// Any input must decode to an Envelope or be refused with a WireError; never crash.
// A small maximum body keeps the oversized path reachable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    do throws(WireError) {
        let env = try WireFrame.decode(raw, maxBody: 1 << 16)
        if case .signed(let command, _) = env.message { _ = try? Command.decode(command) }
        // Re-encoding what was decoded must itself decode.
        let again = WireFrame.wrap(env.encode())
        let ok = again.withUnsafeBytes { r in (try? WireFrame.decode(r, maxBody: 1 << 20)) != nil }
        if !ok { fatalError("a decoded envelope does not decode after re-encoding") }
    } catch {
        _ = error.code
    }
    return 0
}
