/// "[1x3x224x224]" for messages.
public enum ShapeText {
    public static func of(_ shape: [Int]) -> String {
        var s = "["
        for (i, d) in shape.enumerated() {
            if i > 0 { s += "x" }
            s += "\(d)"
        }
        return s + "]"
    }
}
