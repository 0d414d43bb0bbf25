/// Coroutine switches from call instructions: a CALL or CALLM of `coroutine.resume`,
/// `coroutine.yield` or a `coroutine.wrap` function (the builtins carrying a
/// `CoroutineSwitch` id) runs the library's switch (runtime/VM/Coroutines.swift) directly:
/// no call through the builtin's entry, no decoding of the instruction in general, no
/// reference counting. The switch runs on the frame the general call would build (link,
/// base and top as `call` and `invokeBuiltin` write them), so a resumed coroutine, an error
/// and its traceback, the debug library and the collector see the same stack.
import CSupport
import PerigeeFrontend

extension InterpreterRun {
    /// Whether this path makes the call of `kind` with the `n` arguments at `args`: not with
    /// a call hook set (the builtin's frame is hooked), nor for a `resume` without a
    /// coroutine (the builtin raises "bad argument", naming itself as the caller called it).
    @inline(__always) func switches(_ kind: CoroutineSwitch, _ args: UnsafeMutablePointer<Value>, _ n: Int) -> Bool {
        if withVM({ $0.hooks.onCalls }) { return false }
        return kind != .resume || (n >= 1 && args[0].isThread)
    }

    /// The call instruction `ins` of switch `kind`, the callee in register `a` of the frame
    /// at `base` with `n` arguments above it: as `call` makes it, the frame and the results
    /// included. A yield ends this run, leaving the yield's frame for the next resume.
    @inline(never) mutating func switchCoroutine(_ kind: CoroutineSwitch, _ ins: UInt32, _ a: Int, _ n: Int) -> CallStatus? {
        let L = self.L
        let funcSlot = slotIndex(base) + a
        let newBase = funcSlot + 2
        L.pointee.stack[newBase + FrameLayout.linkSlot] = returnLink(pc)
        nargs = n
        L.pointee.base = UInt32(truncatingIfNeeded: newBase)
        L.pointee.top = UInt32(truncatingIfNeeded: newBase + n)
        let r: Int32 = withVM { vm in
            vm.nativeDepth += 1
            defer { vm.nativeDepth -= 1 }
            return vm.runBuiltin {
                switch kind {
                case .resume:
                    return vm.resumeBuiltin(L, L.pointee.stack[newBase].thread)
                case .yield:
                    return vm.yieldBuiltin(L)
                case .wrapped:
                    return vm.resumeWrapped(L, L.pointee.stack[funcSlot].function.upvalueValues[0].thread)
                }
            }
        }
        return placeBuiltinResults(r, ins, funcSlot: funcSlot)
    }
}
