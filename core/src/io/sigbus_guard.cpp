#include "strata/io/sigbus_guard.h"

#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>

namespace strata {
namespace {

thread_local sigjmp_buf* t_jump = nullptr;
struct sigaction g_previous {};

void on_sigbus(int sig, siginfo_t* info, void* uctx) {
    if (sigjmp_buf* jump = t_jump) {
        t_jump = nullptr;
        siglongjmp(*jump, 1);
    }
    // Not inside a guard: behave as before (the previous handler, or the default action).
    if (g_previous.sa_flags & SA_SIGINFO) {
        if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, info, uctx);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN && g_previous.sa_handler) {
        return g_previous.sa_handler(sig);
    }
    ::signal(SIGBUS, SIG_DFL);
    ::raise(SIGBUS);
}

void install_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa {};
        sa.sa_sigaction = on_sigbus;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        ::sigaction(SIGBUS, &sa, &g_previous);
    });
}

}  // namespace

bool run_catching_sigbus(void (*fn)(void*), void* ctx) {
    install_once();
    sigjmp_buf jump;
    sigjmp_buf* const outer = t_jump;  // guards may nest
    if (sigsetjmp(jump, 1) != 0) {
        t_jump = outer;
        return false;
    }
    t_jump = &jump;
    fn(ctx);
    t_jump = outer;
    return true;
}

}  // namespace strata
