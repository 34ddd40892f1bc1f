// run_with_progress: runs a long core call (convert, diff, forward) on a worker thread with
// the GIL released, while the calling Python thread wakes every 50 ms to check for signals
// (Ctrl-C) and to call progress(label, done, total) when the core's progress moved. The
// callback therefore always runs on the caller's thread, holding the GIL, whichever core
// threads do the work. A signal or an exception raised by the callback cancels the core call
// through its CancelToken (so AtomicOutput removes its temporary), waits for it to return,
// and propagates; the core's own errors are raised as strata.Error.
// Usage: auto report = run_with_progress<ConvertReport>(callback, [&](ProgressSink& p, const CancelToken& c) {
//            return convert_checkpoint(options, p, c); });
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <pybind11/pybind11.h>

#include "errors.h"
#include "strata/progress.h"

namespace strata::python {

namespace py = pybind11;

template <typename T>
T run_with_progress(const py::object& callback,
                    const std::function<Result<T>(ProgressSink&, const CancelToken&)>& body) {
    AtomicProgress progress;
    CancelToken cancel;
    std::mutex mutex;
    std::condition_variable finished_cv;
    bool finished = false;
    std::optional<Result<T>> result;

    std::thread worker([&] {
        Result<T> r = Status::internal("the core call did not return");
        try {
            r = body(progress, cancel);
        } catch (const std::exception& e) {
            r = Status::internal(std::string("unexpected C++ exception: ") + e.what());
        }
        std::lock_guard lock(mutex);
        result.emplace(std::move(r));
        finished = true;
        finished_cv.notify_all();
    });

    std::optional<py::error_already_set> error;
    std::string last_label;
    uint64_t last_done = ~0ull, last_total = ~0ull;
    for (;;) {
        bool done_now = false;
        {
            py::gil_scoped_release release;
            std::unique_lock lock(mutex);
            done_now = finished_cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return finished; });
        }
        if (!error) {
            try {
                if (PyErr_CheckSignals() != 0) throw py::error_already_set();
                const std::string label = progress.label();
                const uint64_t done = progress.done(), total = progress.total();
                if (!callback.is_none() && (label != last_label || done != last_done || total != last_total)) {
                    last_label = label;
                    last_done = done;
                    last_total = total;
                    callback(label, done, total);
                }
            } catch (py::error_already_set& e) {
                error.emplace(std::move(e));
                cancel.cancel();
            }
        }
        if (done_now) break;
    }
    {
        py::gil_scoped_release release;
        worker.join();
    }
    if (error) throw *error;
    return unwrap(std::move(*result));
}

}  // namespace strata::python
