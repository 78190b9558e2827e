/// Why a fleet message or operation was refused. One concrete type so that the agent
/// side stays within Embedded Swift's typed throws.
public struct FleetError: Error {
    public let message: String
    public init(_ message: String) { self.message = message }
}
