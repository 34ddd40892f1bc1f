#include "task_runner.h"

#include <algorithm>

namespace strata::studio {

TaskRunner::TaskRunner(QObject* parent) : QObject(parent) {
    pool_.setMaxThreadCount(std::max(2, QThread::idealThreadCount() / 2));
    timer_.setInterval(100);
    connect(&timer_, &QTimer::timeout, this, &TaskRunner::poll);
}

TaskRunner::~TaskRunner() {
    cancel_all();
    pool_.waitForDone();
}

TaskPtr TaskRunner::make_task(const QString& label) {
    auto task = std::make_shared<Task>();
    task->id = next_id_++;
    task->label = label;
    return task;
}

void TaskRunner::start(const TaskPtr& task, std::function<void()> body) {
    tasks_.push_back(task);
    if (!timer_.isActive()) timer_.start();
    emit task_started(task->id, task->label);
    pool_.start(std::move(body));
}

void TaskRunner::finish(const TaskPtr& task) {
    poll();  // flush the last log lines and the final fraction
    tasks_.erase(std::remove(tasks_.begin(), tasks_.end(), task), tasks_.end());
    emit task_finished(task->id);
    if (tasks_.empty()) {
        timer_.stop();
        emit became_idle();
    }
}

void TaskRunner::cancel(int id) {
    for (auto& t : tasks_)
        if (t->id == id) t->cancel.cancel();
}

void TaskRunner::cancel_all() {
    for (auto& t : tasks_) t->cancel.cancel();
}

void TaskRunner::poll() {
    for (const auto& t : std::vector<TaskPtr>(tasks_)) {
        for (const auto& line : t->progress.take_log()) emit task_log(t->id, QString::fromStdString(line));
        const ProgressReading r = t->progress.reading();
        emit task_progress(t->id, t->label, t->progress.fraction(), QString::fromStdString(r.label),
                           QString::fromStdString(describe_progress(r)));
    }
}

}  // namespace strata::studio
