#include "cpu/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::kernels::cpu {

namespace {

thread_local bool tls_in_pool = false;

class Pool {
public:
    explicit Pool(size_t threads) {
        for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { worker(); });
    }
    ~Pool() {
        {
            std::lock_guard lk(m_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& t : workers_) t.join();
    }
    size_t size() const { return workers_.size() + 1; }

    void run(size_t chunks, const std::function<void(size_t)>& job) {
        std::unique_lock run_lock(run_mutex_, std::try_to_lock);
        if (tls_in_pool || !run_lock.owns_lock() || workers_.empty() || chunks < 2) {
            for (size_t i = 0; i < chunks; ++i) job(i);
            return;
        }
        {
            std::lock_guard lk(m_);
            job_ = &job;
            chunks_ = chunks;
            next_.store(0);
            active_ = workers_.size();
            ++generation_;
        }
        cv_.notify_all();
        tls_in_pool = true;
        drain(job, chunks);
        tls_in_pool = false;
        std::unique_lock lk(m_);
        done_cv_.wait(lk, [&] { return active_ == 0; });
        job_ = nullptr;
    }

private:
    void drain(const std::function<void(size_t)>& job, size_t chunks) {
        for (size_t i; (i = next_.fetch_add(1)) < chunks;) job(i);
    }
    void worker() {
        tls_in_pool = true;
        uint64_t seen = 0;
        for (;;) {
            std::unique_lock lk(m_);
            cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            const auto* job = job_;
            const size_t chunks = chunks_;
            lk.unlock();
            drain(*job, chunks);
            lk.lock();
            if (--active_ == 0) done_cv_.notify_one();
        }
    }

    std::vector<std::thread> workers_;
    std::mutex run_mutex_;
    std::mutex m_;
    std::condition_variable cv_, done_cv_;
    const std::function<void(size_t)>* job_ = nullptr;
    size_t chunks_ = 0;
    size_t active_ = 0;
    uint64_t generation_ = 0;
    bool stop_ = false;
    std::atomic<size_t> next_{0};
};

size_t configured_threads() {
    if (const char* env = std::getenv("STRATA_THREADS")) {
        const long v = std::strtol(env, nullptr, 10);
        if (v > 0) return static_cast<size_t>(std::min(v, 256L));
    }
    const unsigned hc = std::thread::hardware_concurrency();
    return hc ? std::min<size_t>(hc, 64) : 1;
}

Pool& pool() {
    static Pool p(configured_threads());
    return p;
}

}  // namespace

size_t num_threads() { return pool().size(); }

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
    if (n == 0) return;
    grain = std::max<size_t>(grain, 1);
    const size_t threads = num_threads();
    // A few chunks per thread balances uneven work without much overhead.
    size_t chunks = std::min((n + grain - 1) / grain, threads * 4);
    if (chunks <= 1) {
        fn(0, n);
        return;
    }
    const size_t per = (n + chunks - 1) / chunks;
    chunks = (n + per - 1) / per;
    pool().run(chunks, [&](size_t c) { fn(c * per, std::min(n, (c + 1) * per)); });
}

}  // namespace strata::kernels::cpu
