#include "app.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QIcon>
#include <QPixmap>
#include <QTimer>

#include <cstdio>

#include "main_window.h"
#include "views/inspector_panel.h"

// Q_INIT_RESOURCE must be called outside any namespace.
static void init_resources_impl() { Q_INIT_RESOURCE(strata); }

namespace strata::studio {

void init_studio_resources() { init_resources_impl(); }

namespace {

// Applies --tab/--tensor once the checkpoint is shown, then (with --screenshot)
// waits until no task runs, lets layouts settle, grabs the window and quits.
class StartupDriver : public QObject {
public:
    StartupDriver(MainWindow* w, QString tab, QString tensor, QString filter, QString diff, QString shot)
        : QObject(w), w_(w), tab_(std::move(tab)), tensor_(std::move(tensor)), filter_(std::move(filter)),
          diff_(std::move(diff)), shot_(std::move(shot)) {
        clock_.start();
        connect(&poll_, &QTimer::timeout, this, [this] { step(); });
        poll_.start(50);
    }

    void set_plan(QString plan) { plan_ = std::move(plan); }

private:
    void step() {
        if (clock_.elapsed() > 60000) return fail("timed out waiting for the window to finish loading");
        if (w_->loading()) return;
        if (!configured_) {
            configured_ = true;
            if (!filter_.isEmpty()) w_->inspector()->set_filter(filter_);
            if (!tensor_.isEmpty() && !w_->inspector()->select_tensor(tensor_))
                std::fprintf(stderr, "strata-studio: no tensor named '%s'\n", qPrintable(tensor_));
            if (!plan_.isEmpty() && !w_->set_plan(plan_))
                std::fprintf(stderr, "strata-studio: bad --plan '%s' (e.g. tp=2,pp=2,ep=4)\n", qPrintable(plan_));
            if (!diff_.isEmpty() && w_->context()->current())
                w_->start_diff(w_->context()->current()->path, QFileInfo(diff_).absoluteFilePath());
            if (!tab_.isEmpty() && !w_->show_tab(tab_))
                std::fprintf(stderr, "strata-studio: no tab '%s' (tabs: %s)\n", qPrintable(tab_),
                             qPrintable(w_->tab_names().join(", ")));
            quiet_since_ = -1;
            return;
        }
        if (shot_.isEmpty()) {
            poll_.stop();
            return;
        }
        if (!w_->context()->runner()->idle() || w_->inspector()->filtering()) {
            quiet_since_ = -1;
            return;
        }
        if (quiet_since_ < 0) quiet_since_ = clock_.elapsed();
        if (clock_.elapsed() - quiet_since_ < 400) return;  // debounced requests (heatmap size) may still start
        poll_.stop();
        const QPixmap pix = w_->grab();
        if (pix.isNull() || !pix.save(shot_)) return fail("could not save the screenshot to " + shot_);
        std::fprintf(stderr, "strata-studio: saved %s (%dx%d)\n", qPrintable(shot_), pix.width(), pix.height());
        QCoreApplication::exit(w_->last_error().isEmpty() ? 0 : 1);
    }
    void fail(const QString& why) {
        poll_.stop();
        std::fprintf(stderr, "strata-studio: %s\n", qPrintable(why));
        QCoreApplication::exit(1);
    }

    MainWindow* w_;
    QString tab_, tensor_, filter_, diff_, shot_;
    QString plan_;
    QTimer poll_;
    QElapsedTimer clock_;
    bool configured_ = false;
    qint64 quiet_since_ = -1;
};

}  // namespace

int run_studio(int argc, char** argv) {
    QApplication app(argc, argv);
    init_studio_resources();
    QApplication::setOrganizationName("Strata");
    QApplication::setApplicationName("Strata Studio");
    QApplication::setApplicationVersion("0.1.0");
    QApplication::setWindowIcon(QIcon(":/strata/icons/strata.svg"));

    QCommandLineParser parser;
    parser.setApplicationDescription("Strata Studio: inspect, plan and convert LLM checkpoints.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("path", "Checkpoint file or folder to open.", "[PATH]");
    QCommandLineOption tab({"t", "tab"}, "Tab to show: inspector, summary, tensor, ...", "NAME");
    QCommandLineOption tensor("tensor", "Tensor to select in the inspector.", "NAME");
    QCommandLineOption filter("filter", "Initial tensor filter (text or glob).", "TEXT");
    QCommandLineOption size("size", "Window size, e.g. 1280x800.", "WxH", "1280x800");
    QCommandLineOption plan("plan", "Parallel tab axes, e.g. tp=2,pp=2,ep=4.", "SPEC");
    QCommandLineOption diff("diff", "Compare PATH with this checkpoint in the Diff tab.", "B");
    QCommandLineOption shot("screenshot", "Save the window to FILE.png once loaded, then exit.", "FILE");
    parser.addOptions({tab, tensor, filter, plan, diff, size, shot});
    parser.process(app);

    MainWindow window;
    const QStringList wh = parser.value(size).split('x');
    if (wh.size() == 2 && wh[0].toInt() > 0 && wh[1].toInt() > 0) window.resize(wh[0].toInt(), wh[1].toInt());
    window.show();
    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty()) window.open_path(QFileInfo(args.first()).absoluteFilePath());
    if (parser.isSet(tab) || parser.isSet(tensor) || parser.isSet(filter) || parser.isSet(diff) || parser.isSet(plan) ||
        parser.isSet(shot))
        (new StartupDriver(&window, parser.value(tab), parser.value(tensor), parser.value(filter), parser.value(diff),
                           parser.value(shot)))
            ->set_plan(parser.value(plan));
    return app.exec();
}

}  // namespace strata::studio
