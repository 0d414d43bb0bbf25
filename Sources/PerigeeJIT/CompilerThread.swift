/// The JIT's compiler thread: finished recordings go in, machine code comes out, while the
/// interpreter keeps running on the other core. A job touches only what it was given (the
/// trace IR and plain numbers) and LLVM, never the Lua state; its result waits in the
/// finished list until the interpreter's thread collects it at a safe point and installs
/// the trace.
#if canImport(Glibc)
import Glibc
#endif

final class CompilerThread {
    /// Work for the thread: compiles one trace and answers what to install (run later on
    /// the interpreter's thread).
    typealias Job = () -> (() -> Void)

    private var queue: [Job] = []
    private var finished: [() -> Void] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let idle = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread: pthread_t?
    private var busy = false
    private var stopping = false
    /// Set when finished work waits: one plain load for the interpreter's polls.
    private(set) var hasFinished = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(idle, nil)
    }

    deinit {
        if let thread {
            locked {
                stopping = true
                pthread_cond_signal(wake)
            }
            pthread_join(thread, nil)
        }
        pthread_cond_destroy(wake)
        pthread_cond_destroy(idle)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        idle.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Queues `job`; the thread starts with the first one.
    func submit(_ job: @escaping Job) {
        locked {
            queue.append(job)
            pthread_cond_signal(wake)
        }
        if thread == nil { start() }
        // No thread (it could not start): the job runs here.
        if thread == nil {
            let job = locked { queue.removeFirst() }
            let install = job()
            locked {
                finished.append(install)
                hasFinished = true
            }
        }
    }

    /// Jobs queued or running.
    var pending: Int { locked { queue.count + (busy ? 1 : 0) } }

    /// The installations of every finished job, in the order the jobs were submitted.
    func collect() -> [() -> Void] {
        locked {
            let done = finished
            finished.removeAll()
            hasFinished = false
            return done
        }
    }

    /// Drops the queued jobs and waits for the running one (before the process exits: LLVM
    /// must not be compiling while it tears down).
    func cancel() {
        locked {
            queue.removeAll()
            while busy { pthread_cond_wait(idle, mutex) }
        }
    }

    private func start() {
        var created = pthread_t()
        let context = Unmanaged.passUnretained(self).toOpaque()
        let status = pthread_create(&created, nil, { context in
            Unmanaged<CompilerThread>.fromOpaque(context!).takeUnretainedValue().run()
            return nil
        }, context)
        if status == 0 { thread = created }
    }

    private func run() {
        while true {
            pthread_mutex_lock(mutex)
            while queue.isEmpty && !stopping { pthread_cond_wait(wake, mutex) }
            if stopping {
                pthread_mutex_unlock(mutex)
                return
            }
            let job = queue.removeFirst()
            busy = true
            pthread_mutex_unlock(mutex)
            let install = job()
            locked {
                finished.append(install)
                hasFinished = true
                busy = false
                pthread_cond_broadcast(idle)
            }
        }
    }
}
