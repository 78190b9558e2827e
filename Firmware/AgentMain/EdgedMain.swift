// Device entry of `edged` (Embedded Swift has no CommandLine): argv from the C main.
@_cdecl("main")
public func edgedMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var args: [String] = []
    for i in 0..<Int(argc) {
        if let a = argv[i] { args.append(String(cString: a)) }
    }
    // FleetMain takes the fleet options (--mqtt ...) and hands the rest to AgentMain.
    return FleetMain.run(args)
}
