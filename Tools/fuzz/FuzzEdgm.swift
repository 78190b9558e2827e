// libFuzzer entry for the .edgm loader (built by Tools/fuzz_edgm.sh).
// The first input byte chooses whether CRCs are checked: with them off, random inputs
// reach the section parsers and every layer's validation instead of stopping at a CRC.
import EdgeFormat
import EdgeRuntime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEdgm(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let verify = data[0] & 1 == 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if let interpreter = try? Interpreter(bytes: bytes, verifyChecksums: verify),
       interpreter.model.graph.arenaBytes < 64 << 20 {
        interpreter.run()
    }
    return 0
}
