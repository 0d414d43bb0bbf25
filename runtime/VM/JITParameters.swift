/// The JIT's parameters with LuaJIT's names and defaults, set by `-Oname=value` on the
/// command line or `jit.opt.start("name=value")`, and the optimization levels and flags.

public struct JITParameters: Equatable {
    /// The parameters in LuaJIT's order, with their defaults.
    public static let defaults: [(name: String, value: Int)] = [
        ("maxtrace", 1000), ("maxrecord", 4000), ("maxirconst", 500), ("maxside", 100), ("maxsnap", 500),
        ("minstitch", 0), ("hotloop", 56), ("hotexit", 10), ("tryside", 4), ("instunroll", 4),
        ("loopunroll", 15), ("callunroll", 3), ("recunroll", 2), ("sizemcode", 64), ("maxmcode", 2048),
        // Perigee's own: compile traces on a second thread (0: in line, as luajit does);
        // compiling in line, side traces wait while compiling has taken more than
        // `compilebudget` percent of the run's time so far (0: never wait); a loop's trace
        // that side traces re-entered `retrace` times, more often than its loop went round,
        // goes and the loop is recorded again, once (0: never); a trace that runs once
        // through is compiled again with the optimizing code generator after `reoptimize`
        // runs, when the compiler thread is idle (0: never).
        ("compilethread", 1), ("compilebudget", 25), ("retrace", 200), ("reoptimize", 20000),
    ]
    /// The optimization flags and the lowest level that turns each on (-O1, -O2, -O3).
    public static let flags: [(name: String, level: Int)] = [
        ("fold", 1), ("cse", 1), ("dce", 1), ("narrow", 2), ("loop", 2), ("abc", 3), ("sink", 3), ("fwd", 3),
        ("dse", 3), ("fuse", 3),
    ]

    public private(set) var values: [String: Int]
    public private(set) var enabled: Set<String>

    public init() {
        values = Dictionary(uniqueKeysWithValues: JITParameters.defaults.map { ($0.name, $0.value) })
        enabled = Set(JITParameters.flags.map(\.name))
    }

    public subscript(name: String) -> Int { values[name] ?? 0 }

    /// Applies `jit.opt.start`'s arguments in order (none: luajit's default level): nil, or
    /// the message for the first one that is not a level, flag or parameter.
    public mutating func applying(_ options: [String]) -> String? {
        for option in options.isEmpty ? ["3"] : options {
            if let message = apply(option) { return message }
        }
        return nil
    }

    /// Applies one `-O` argument (without the `-O`): a level (`3`, or empty for 3), a flag
    /// (`+fold`, `-sink`, `fold`) or a parameter (`hotloop=1`). The message luajit gives
    /// for anything else.
    public mutating func apply(_ text: String) -> String? {
        if text.isEmpty { return apply("3") }
        if let level = Int(text), text.count == 1 {
            enabled = Set(JITParameters.flags.filter { $0.level <= level }.map(\.name))
            return nil
        }
        if let equals = text.firstIndex(of: "=") {
            let name = String(text[..<equals])
            // luajit's reading: decimal digits only, none meaning 0.
            let digits = text[text.index(after: equals)...]
            guard values[name] != nil, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = digits.isEmpty ? 0 : Int(digits) else {
                return "unknown or malformed optimization flag '\(text)'"
            }
            values[name] = value
            return nil
        }
        var name = text
        var on = true
        if let first = text.first, first == "+" || first == "-" {
            on = first == "+"
            name = String(text.dropFirst())
        }
        guard JITParameters.flags.contains(where: { $0.name == name }) else {
            return "unknown or malformed optimization flag '\(text)'"
        }
        if on { enabled.insert(name) } else { enabled.remove(name) }
        return nil
    }
}
