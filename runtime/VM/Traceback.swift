/// Stack tracebacks in luajit's format, and the check whether an error will be caught.
import PerigeeFrontend

extension LuaVM {
    /// Whether any frame from `innermostBase` outwards (through native links) is protected.
    func isProtected(_ L: ThreadRef, innermostBase: Int) -> Bool {
        var base = innermostBase
        var steps = 0
        while base >= 2 && steps < 1_000_000 {
            steps += 1
            switch frameStep(L, base) {
            case .lua(let next, _), .continuation(let next, _): base = next
            case .vararg(let originalBase): base = originalBase
            case .protected: return true
            case .hook(let hookedBase, _): base = hookedBase
            case .native(let saved):
                if saved >= base { return false }
                base = saved
            case .unknown: return false
            }
        }
        return false
    }

    /// A function's address as luajit prints it (`%p`).
    func address(of f: FunctionRef) -> String { "0x" + String(UInt(bitPattern: f), radix: 16) }

    /// `stack traceback:` and one line per frame, innermost first, then (on the main thread)
    /// the native code that started it. The innermost frame is level `firstLevel` (1 for an
    /// error's traceback, whose level 0 is the handler; 0 for `debug.traceback`, which is
    /// level 0 itself) and the levels below `startLevel` are left out. Long stacks are cut
    /// as luajit's luaL_traceback cuts them: levels up to 11, `...`, then the last 10, so a
    /// stack overflow's traceback stays short.
    func traceback(_ L: ThreadRef, innermostBase: Int, innermostPC: Int?, firstLevel: Int = 1,
                   startLevel: Int = 1) -> String {
        var text = "stack traceback:"
        let list = frames(L, innermostBase: innermostBase, innermostPC: innermostPC)
        let stack = L.pointee.stack
        // Levels firstLevel ..< levelCount; index `list.count` is the main thread's native entry.
        let levelCount = firstLevel + list.count + (L == mainThread ? 1 : 0)
        var shown: [Int] = []  // indexes into `list`, -1 for the cut
        var level = max(startLevel, firstLevel)
        var limit = 12
        while level < levelCount {
            let current = level
            level += 1
            if level > limit {
                if level + 10 < levelCount {
                    shown.append(-1)
                    level = levelCount - 10
                } else {
                    level -= 1
                }
                limit = Int.max
                continue
            }
            shown.append(current - firstLevel)
        }
        for i in shown {
            if i < 0 {
                text += "\n\t..."
                continue
            }
            if i == list.count {
                text += "\n\t[C]: at \(address(of: hostEntry))"
                continue
            }
            let frame = list[i]
            let f = stack[frame.base + FrameLayout.functionSlot]
            // The name comes from the caller's call instruction.
            var name: String? = nil
            if i + 1 < list.count, let callerPC = list[i + 1].pc, !isHookFrame(L, frame.base) {
                let caller = stack[list[i + 1].base + FrameLayout.functionSlot]
                if caller.isFunction && caller.function.isLua {
                    name = calledName(caller.function.proto.source, pc: callerPC)?.1
                }
            }
            guard f.isFunction else { continue }
            if f.function.isLua {
                let proto = f.function.proto.source
                let lineText = frame.pc.map { String(line(f.function, $0)) } ?? String(proto.firstLine)
                let where_ = "\(shortChunkName(proto.chunkName)):\(lineText)"
                if let name {
                    text += "\n\t\(where_): in function '\(name)'"
                } else if proto.firstLine == 0 {
                    text += "\n\t\(where_): in main chunk"
                } else {
                    text += "\n\t\(where_): in function <\(shortChunkName(proto.chunkName)):\(proto.firstLine)>"
                }
            } else {
                let builtin = name ?? builtinNames[f.function]
                text += builtin.map { "\n\t[C]: in function '\($0)'" } ?? "\n\t[C]: at \(address(of: f.function))"
            }
        }
        return text + "\n"
    }
}
