// TaskRunner: the only place the Studio starts threads (DESIGN.md, "Threads").
// A task is a core call run on the runner's private pool with an AtomicProgress and
// a CancelToken; a GUI timer publishes progress from the atomics, and the result is
// queued back to the GUI thread and handed to `done` only if `receiver` still lives.
// Usage: runner->run<Result<Foo>>(tr("Opening"), [](ProgressSink& p, const CancelToken& c) { return foo(p, c); },
//                                  this, [this](Result<Foo> r) { show(r); });
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThreadPool>
#include <QTimer>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "strata/progress.h"
#include "strata/status.h"

namespace strata::studio {

struct Task {
    int id = 0;
    QString label;
    AtomicProgress progress;
    CancelToken cancel;
};
using TaskPtr = std::shared_ptr<Task>;

class TaskRunner : public QObject {
    Q_OBJECT
public:
    explicit TaskRunner(QObject* parent = nullptr);
    ~TaskRunner() override;  // cancels every task and waits for the workers

    // Runs work(progress, cancel) -> T on a worker; T must be constructible from a Status
    // (Result<X> or Status) so an escaping exception becomes an Internal error.
    template <typename T, typename Work, typename Done>
    TaskPtr run(const QString& label, Work work, QObject* receiver, Done done);

    void cancel(int id);
    void cancel_all();
    bool idle() const { return tasks_.empty(); }
    // How many tasks run at once; a task started beyond that waits in the pool's queue.
    int concurrency() const { return pool_.maxThreadCount(); }
    const std::vector<TaskPtr>& tasks() const { return tasks_; }

signals:
    void task_started(int id, const QString& label);
    // Emitted by the poll timer (every 100 ms) for each running task. `line` is core
    // describe_progress: the phase with done / total, and for a byte phase the rate and ETA.
    void task_progress(int id, const QString& label, double fraction, const QString& phase, const QString& line);
    void task_log(int id, const QString& line);
    void task_finished(int id);
    void became_idle();

private:
    TaskPtr make_task(const QString& label);
    void start(const TaskPtr& task, std::function<void()> body);
    void finish(const TaskPtr& task);
    void poll();

    QThreadPool pool_;
    QTimer timer_;
    std::vector<TaskPtr> tasks_;
    int next_id_ = 1;
};

template <typename T, typename Work, typename Done>
TaskPtr TaskRunner::run(const QString& label, Work work, QObject* receiver, Done done) {
    TaskPtr task = make_task(label);
    QPointer<QObject> guard(receiver);
    start(task, [this, task, work = std::move(work), guard, done = std::move(done)]() mutable {
        std::shared_ptr<T> result;
        try {
            result = std::make_shared<T>(work(task->progress, task->cancel));
        } catch (const std::exception& e) {
            result = std::make_shared<T>(Status::internal(std::string("unexpected exception: ") + e.what()));
        }
        // Queued to the runner (GUI thread); the guard is checked there, so a receiver
        // destroyed meanwhile never sees the result.
        QMetaObject::invokeMethod(
            this,
            [this, task, guard, done = std::move(done), result]() mutable {
                finish(task);
                if (guard) done(std::move(*result));
            },
            Qt::QueuedConnection);
    });
    return task;
}

}  // namespace strata::studio
