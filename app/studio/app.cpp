#include "app.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDialog>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QIcon>
#include <QPainter>
#include <QPixmap>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "dialogs/convert_dialog.h"
#include "main_window.h"
#include "strata/build_info.h"
#include "views/convert_panel.h"
#include "views/diff_panel.h"
#include "views/forward_panel.h"
#include "views/inspector_panel.h"
#include "views/parallel_panel.h"
#include "views/shard_diff_panel.h"
#include "views/shard_view.h"

// Q_INIT_RESOURCE must be called outside any namespace.
static void init_resources_impl() { Q_INIT_RESOURCE(strata); }

namespace strata::studio {

void init_studio_resources() { init_resources_impl(); }

namespace {

// What the command line asks the window to show before (optionally) taking a screenshot.
struct StartupOptions {
    QString tab, tensor, filter, plan, diff, diff_tensor, grid_cell, convert, tokens, compare, shot;
    QString layout_a, layout_b, transfer_cell;  // the Shard diff tab
};

// Applies the options once the checkpoint is shown; selections that need a finished task
// (a diff row, a grid cell) wait until the runner is idle. With --screenshot it then waits
// until no task runs, lets layouts settle, grabs the window (with any dialog drawn over it
// where it sits) and quits.
class StartupDriver : public QObject {
public:
    StartupDriver(MainWindow* w, StartupOptions o) : QObject(w), w_(w), o_(std::move(o)) {
        clock_.start();
        connect(&poll_, &QTimer::timeout, this, [this] { step(); });
        poll_.start(50);
    }

private:
    static void warn(const QString& text) { std::fprintf(stderr, "strata-studio: %s\n", qPrintable(text)); }

    void configure() {
        if (!o_.filter.isEmpty()) w_->inspector()->set_filter(o_.filter);
        if (!o_.tensor.isEmpty() && !w_->inspector()->select_tensor(o_.tensor)) warn("no tensor named '" + o_.tensor + "'");
        if (!o_.plan.isEmpty() && !w_->set_plan(o_.plan)) warn("bad --plan '" + o_.plan + "' (e.g. tp=2,pp=2,ep=4)");
        const QString open = w_->context()->current() ? w_->context()->current()->path : QString();
        if (!o_.diff.isEmpty() && !open.isEmpty()) w_->start_diff(open, QFileInfo(o_.diff).absoluteFilePath());
        if (!o_.convert.isEmpty() && !open.isEmpty()) {
            w_->show_tab("convert");
            if (!w_->convert()->open_dialog(open)->set_target_name(o_.convert)) warn("no convert target '" + o_.convert + "'");
        }
        if (!o_.tokens.isEmpty() && !open.isEmpty()) {
            w_->forward()->set_paths(open, o_.compare.isEmpty() ? QString() : QFileInfo(o_.compare).absoluteFilePath());
            w_->forward()->set_tokens(o_.tokens);
            w_->show_tab("forward");
            w_->forward()->run();
        }
        if (!o_.layout_b.isEmpty()) {
            const QString a = o_.layout_a.isEmpty() ? open : o_.layout_a;
            if (a.isEmpty())
                warn("--layout-b needs PATH or --layout-a");
            else
                w_->start_shard_diff(a, o_.layout_b);
        }
        if (!o_.tab.isEmpty() && !w_->show_tab(o_.tab))
            warn("no tab '" + o_.tab + "' (tabs: " + w_->tab_names().join(", ") + ")");
    }

    // Selections inside results that only exist once the tasks started above have finished.
    void configure_after_tasks() {
        if (!o_.diff_tensor.isEmpty() && !w_->diff()->select_tensor(o_.diff_tensor))
            warn("no difference for tensor '" + o_.diff_tensor + "'");
        if (!o_.grid_cell.isEmpty()) {
            const QStringList rc = o_.grid_cell.split(',');
            if (rc.size() != 2 || !w_->parallel()->shards()->select_cell(rc[0].toInt(), rc[1].toInt()))
                warn("bad --grid-cell '" + o_.grid_cell + "' (RANK_ROW,COLUMN inside the grid)");
        }
        if (!o_.transfer_cell.isEmpty()) {
            const QStringList rc = o_.transfer_cell.split(',');
            if (rc.size() != 2 || !w_->shard_diff()->select_matrix_cell(rc[0].toInt(), rc[1].toInt()))
                warn("bad --transfer-cell '" + o_.transfer_cell + "' (SOURCE_ROW,TARGET_COLUMN inside the matrix)");
        }
    }

    void step() {
        if (clock_.elapsed() > 60000) return fail("timed out waiting for the window to finish loading");
        if (w_->loading()) return;
        if (stage_ == 0) {
            stage_ = 1;
            configure();
            quiet_since_ = -1;
            return;
        }
        const bool idle = w_->context()->runner()->idle() && !w_->inspector()->filtering();
        if (stage_ == 1) {
            if (!idle) return;
            stage_ = 2;
            configure_after_tasks();
            quiet_since_ = -1;
            return;
        }
        if (o_.shot.isEmpty()) {
            poll_.stop();
            return;
        }
        if (!idle) {
            quiet_since_ = -1;
            return;
        }
        if (quiet_since_ < 0) quiet_since_ = clock_.elapsed();
        if (clock_.elapsed() - quiet_since_ < 400) return;  // debounced requests (heatmap size) may still start
        poll_.stop();
        const QPixmap pix = grab_with_dialogs();
        if (pix.isNull() || !pix.save(o_.shot)) return fail("could not save the screenshot to " + o_.shot);
        std::fprintf(stderr, "strata-studio: saved %s (%dx%d)\n", qPrintable(o_.shot), pix.width(), pix.height());
        QCoreApplication::exit(w_->last_error().isEmpty() ? 0 : 1);
    }

    // The offscreen platform has no compositor, so a dialog is a separate image: paint it
    // over the window where it sits (centred when it was never placed), as a user sees it.
    QPixmap grab_with_dialogs() {
        QPixmap pix = w_->grab();
        QPainter p(&pix);
        for (QDialog* d : w_->findChildren<QDialog*>()) {
            if (!d->isVisible()) continue;
            p.fillRect(pix.rect(), QColor(0, 0, 0, 50));  // dim the window so the dialog reads as one
            const QPixmap dp = d->grab();
            QPoint at = d->geometry().topLeft() - w_->geometry().topLeft();
            if (!QRect(QPoint(0, 0), pix.size()).contains(QRect(at, dp.size())))
                at = QPoint((pix.width() - dp.width()) / 2, (pix.height() - dp.height()) / 2);
            p.fillRect(QRect(at + QPoint(4, 4), dp.size()), QColor(0, 0, 0, 60));  // a shadow
            p.drawPixmap(at, dp);
            p.setPen(QColor(90, 90, 90));
            p.drawRect(QRect(at, dp.size()).adjusted(0, 0, -1, -1));
        }
        return pix;
    }

    void fail(const QString& why) {
        poll_.stop();
        warn(why);
        QCoreApplication::exit(1);
    }

    MainWindow* w_;
    StartupOptions o_;
    QTimer poll_;
    QElapsedTimer clock_;
    int stage_ = 0;  // 0 loading, 1 configured (tasks running), 2 selections made
    qint64 quiet_since_ = -1;
};

// --help and --version show no window: they run where no display exists (the man page is
// made from --help at build time), on the offscreen platform unless one was chosen.
void allow_text_only_runs_without_display(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if ((a == "--help" || a == "-h" || a == "--version" || a == "-v" || a == "--help-all") &&
            qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
    }
}

}  // namespace

int run_studio(int argc, char** argv) {
    allow_text_only_runs_without_display(argc, argv);
    QApplication app(argc, argv);
    init_studio_resources();
    QApplication::setOrganizationName("Strata");
    QApplication::setApplicationName("Strata Studio");
    QApplication::setApplicationVersion(QString::fromUtf8(strata::version().data(), strata::version().size()));
    QApplication::setWindowIcon(QIcon(":/strata/icons/strata.svg"));

    QCommandLineParser parser;
    parser.setApplicationDescription("Strata Studio: inspect, plan and convert LLM checkpoints.");
    parser.addHelpOption();
    QCommandLineOption version_opt({"v", "version"}, "Displays version information (commit, CUDA backend).");
    parser.addOption(version_opt);
    parser.addPositionalArgument("path", "Checkpoint file or folder to open.", "[PATH]");
    QCommandLineOption tab(
        {"t", "tab"}, "Tab to show: inspector, summary, tensor, pattern, parallel, convert, diff, forward, shard-diff.",
        "NAME");
    QCommandLineOption tensor("tensor", "Tensor to select in the inspector.", "NAME");
    QCommandLineOption filter("filter", "Initial tensor filter (text or glob).", "TEXT");
    QCommandLineOption size("size",
                            "Window size, e.g. 1280x800 (default: 1280x800 capped by the screen; "
                            "with --screenshot, 1280x800 as it is).",
                            "WxH", "1280x800");
    QCommandLineOption plan("plan", "Parallel tab axes, e.g. tp=2,pp=2,ep=4 (sp=1, pattern=*-M-: hybrid pattern).",
                            "SPEC");
    QCommandLineOption grid_cell("grid-cell", "Select this cell of the Parallel tab's ranks x layers grid.", "ROW,COL");
    QCommandLineOption diff("diff", "Compare PATH with this checkpoint in the Diff tab.", "B");
    QCommandLineOption diff_tensor("diff-tensor", "In the Diff tab, show this tensor's heatmaps.", "NAME");
    QCommandLineOption convert("convert", "Open the convert dialog for PATH with this target (megatron, hybrid-mamba2, ...).",
                               "TARGET");
    QCommandLineOption tokens("tokens", "Run the Forward tab on PATH with these token ids, e.g. 1,2,3.", "IDS");
    QCommandLineOption compare("compare", "With --tokens: also run this checkpoint and compare.", "B");
    QCommandLineOption layout_a("layout-a",
                                "Shard diff tab: layout A (default: PATH); a checkpoint, preset, "
                                "MODEL@tp=2,pp=2,ep=4 or a plan.",
                                "LAYOUT");
    QCommandLineOption layout_b("layout-b", "Shard diff tab: compare A with this layout (e.g. tp=1,pp=4,ep=2).",
                                "LAYOUT");
    QCommandLineOption transfer_cell("transfer-cell", "Select this cell of the Shard diff tab's transfer matrix.",
                                     "ROW,COL");
    QCommandLineOption shot("screenshot", "Save the window to FILE.png once loaded, then exit.", "FILE");
    parser.addOptions({tab, tensor, filter, plan, grid_cell, diff, diff_tensor, convert, tokens, compare, layout_a,
                       layout_b, transfer_cell, size, shot});
    parser.process(app);
    if (parser.isSet(version_opt)) {
        std::printf("%s\n", strata::version_text("strata-studio").c_str());
        return 0;
    }

    MainWindow window;
    // The window sizes itself to fit the screen; an asked size, or a screenshot (drawn offscreen
    // at a fixed size so the pictures in docs/ are reproducible), is taken as it is.
    const QStringList wh = parser.value(size).split('x');
    if ((parser.isSet(size) || parser.isSet(shot)) && wh.size() == 2 && wh[0].toInt() > 0 && wh[1].toInt() > 0)
        window.resize(wh[0].toInt(), wh[1].toInt());
    window.show();
    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty()) window.open_path(QFileInfo(args.first()).absoluteFilePath());
    const StartupOptions o{parser.value(tab),       parser.value(tensor),       parser.value(filter),
                           parser.value(plan),      parser.value(diff),         parser.value(diff_tensor),
                           parser.value(grid_cell), parser.value(convert),      parser.value(tokens),
                           parser.value(compare),   parser.value(shot),         parser.value(layout_a),
                           parser.value(layout_b),  parser.value(transfer_cell)};
    const QString all[] = {o.tab,       o.tensor,  o.filter, o.plan, o.diff,     o.diff_tensor,
                           o.grid_cell, o.convert, o.tokens, o.shot, o.layout_b, o.transfer_cell};
    if (std::any_of(std::begin(all), std::end(all), [](const QString& v) { return !v.isEmpty(); }))
        new StartupDriver(&window, o);
    return app.exec();
}

}  // namespace strata::studio
