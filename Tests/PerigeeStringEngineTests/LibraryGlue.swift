/// The string library functions written over the engines the way the runtime's glue is meant
/// to use them, returning what Lua would see; the tests compare these with luajit.
@testable import PerigeeRuntime

enum LibraryGlue {
    static func captures(_ m: PatternMatcher, count: Int, whole: Range<Int>) throws(PatternError) -> [CaseValue] {
        var values: [CaseValue] = []
        for i in 0..<count {
            switch try m.capture(i, wholeMatch: whole) {
            case .bytes(let r): values.append(.string(Array(m.subject[r])))
            case .position(let p): values.append(.number(Double(p)))
            }
        }
        return values
    }

    static func find(_ s: [UInt8], _ p: [UInt8], initial: Int?, plain: Bool, find isFind: Bool) throws(PatternError) -> [CaseValue] {
        let result: Result<[CaseValue], PatternError> = s.withBytes { subject in
            p.withBytes { pattern in
                let start = PatternMatcher.startOffset(init: initial ?? 1, length: subject.count)
                if isFind && (plain || !PatternMatcher.hasSpecials(pattern)) {
                    guard let r = PatternMatcher.plainFind(pattern, in: subject, from: start) else { return .success([.none]) }
                    return .success([.number(Double(r.lowerBound + 1)), .number(Double(r.upperBound))])
                }
                var m = PatternMatcher(subject: subject, pattern: pattern)
                do {
                    guard let r = try m.find(from: start) else { return .success([.none]) }
                    if isFind {
                        return .success([.number(Double(r.lowerBound + 1)), .number(Double(r.upperBound))]
                                        + (try captures(m, count: m.captureCount, whole: r)))
                    }
                    return .success(try captures(m, count: m.matchValueCount, whole: r))
                } catch {
                    return .failure(error as! PatternError)
                }
            }
        }
        return try result.get()
    }

    static func gmatch(_ s: [UInt8], _ p: [UInt8], limit: Int) throws(PatternError) -> [[CaseValue]] {
        let result: Result<[[CaseValue]], PatternError> = s.withBytes { subject in
            p.withBytes { pattern in
                var all: [[CaseValue]] = []
                var state = GmatchState()
                do {
                    while all.count < limit {
                        var m = PatternMatcher(subject: subject, pattern: pattern, honorsAnchor: false)
                        guard let r = try state.next(&m) else { break }
                        all.append(try captures(m, count: m.matchValueCount, whole: r))
                    }
                } catch {
                    return .failure(error as! PatternError)
                }
                return .success(all)
            }
        }
        return try result.get()
    }

    static func gsub(_ s: [UInt8], _ p: [UInt8], _ replacement: [UInt8], max: Int?) throws(PatternError) -> [CaseValue] {
        let result: Result<[CaseValue], PatternError> = s.withBytes { subject in
            p.withBytes { pattern in
                replacement.withBytes { template in
                    var m = PatternMatcher(subject: subject, pattern: pattern)
                    var out: [UInt8] = []
                    do {
                        let n = try m.substitute(template, maxReplacements: max ?? subject.count + 1, into: &out)
                        return .success([.string(out), .number(Double(n))])
                    } catch {
                        return .failure(error as! PatternError)
                    }
                }
            }
        }
        return try result.get()
    }

    /// `string.format` over numbers and strings (a number given to `%s` goes through tostring).
    static func format(_ f: [UInt8], _ args: [CaseValue]) throws(FormatError) -> [UInt8] {
        let result: Result<[UInt8], FormatError> = f.withBytes { format in
            var parser = FormatParser(format: format)
            var out: [UInt8] = []
            var next = 0
            do {
                while let item = try parser.next() {
                    switch item {
                    case .literal(let r):
                        out.append(contentsOf: format[r])
                    case .spec(let spec):
                        let arg = args[next]
                        next += 1
                        switch (arg, spec.conversion) {
                        case (.number(let n), let c) where c.takesNumber:
                            spec.render(number: n, into: &out)
                        case (.number(let n), _):
                            var text: [UInt8] = []
                            appendNumber(n, into: &text)
                            text.withBytes { spec.conversion == .quoted ? FormatSpec.renderQuoted($0, into: &out)
                                                                        : spec.render(string: $0, into: &out) }
                        case (.string(let b), _):
                            b.withBytes { spec.conversion == .quoted ? FormatSpec.renderQuoted($0, into: &out)
                                                                     : spec.render(string: $0, into: &out) }
                        default:
                            fatalError("no such case")
                        }
                    }
                }
            } catch {
                return .failure(error as! FormatError)
            }
            return .success(out)
        }
        return try result.get()
    }
}
