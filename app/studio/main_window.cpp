#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include "models/tensor_tree_model.h"
#include "views/convert_panel.h"
#include "views/diff_panel.h"
#include "views/forward_panel.h"
#include "views/inspector_panel.h"
#include "views/parallel_panel.h"
#include "views/pattern_panel.h"
#include "views/shard_diff_panel.h"

namespace strata::studio {

namespace {
constexpr int kMaxRecent = 10;
const char* kRecentKey = "recentFiles";
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), ctx_(new StudioContext(this)) {
    setWindowTitle(tr("Strata Studio"));
    setAcceptDrops(true);
    tabs_ = new QTabWidget(this);
    tabs_->setObjectName("mainTabs");
    tabs_->setDocumentMode(true);
    inspector_ = new InspectorPanel(ctx_, this);
    inspector_->setObjectName("inspector");
    tabs_->addTab(inspector_, tr("&Inspector"));
    auto* pattern = new PatternPanel(this);
    pattern->setObjectName("pattern");
    tabs_->addTab(pattern, tr("&Pattern"));
    // The designer has no context of its own; its attn_layers reach the convert dialog through ours.
    connect(pattern, &PatternPanel::pattern_changed, ctx_, [this, pattern] { ctx_->set_attn_layers(pattern->attn_layers()); });
    ctx_->set_attn_layers(pattern->attn_layers());
    // The open checkpoint's model becomes a designer preset (its spec is parsed here, as the Parallel tab does).
    connect(ctx_, &StudioContext::current_changed, pattern, [this, pattern] {
        std::optional<ModelSpec> spec;
        if (ctx_->current())
            if (auto s = model_spec_from_hf_config(ctx_->current()->hf_config)) spec = std::move(s).value();
        pattern->set_open_model(spec);
    });
    parallel_ = new ParallelPanel(ctx_, this);
    parallel_->setObjectName("parallel");
    tabs_->addTab(parallel_, tr("P&arallel plan"));
    convert_ = new ConvertPanel(ctx_, this);
    convert_->setObjectName("convert");
    tabs_->addTab(convert_, tr("&Convert"));
    diff_ = new DiffPanel(ctx_, this);
    diff_->setObjectName("diff");
    tabs_->addTab(diff_, tr("&Diff"));
    forward_ = new ForwardPanel(ctx_, this);
    forward_->setObjectName("forward");
    tabs_->addTab(forward_, tr("F&orward"));  // Alt+F is the File menu's
    shard_diff_ = new ShardDiffPanel(ctx_, this);
    shard_diff_->setObjectName("shard-diff");
    tabs_->addTab(shard_diff_, tr("&Shard diff"));
    connect(convert_, &ConvertPanel::open_result, this, [this](const QString& p) {
        tabs_->setCurrentWidget(inspector_);
        open_path(p);
    });
    auto* central = new QWidget(this);
    auto* central_layout = new QVBoxLayout(central);
    central_layout->setContentsMargins(0, 0, 0, 0);
    central_layout->setSpacing(0);
    central_layout->addWidget(build_open_error_pane());
    central_layout->addWidget(tabs_, 1);
    setCentralWidget(central);

    totals_ = new QLabel(this);
    task_bar_ = new QProgressBar(this);
    task_bar_->setRange(0, 1000);
    task_bar_->setMaximumWidth(520);  // room for "412.3 MB of 70.4 GB (0.6%), 95.1 MB/s, ETA 12 min"
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setToolTip(tr("Cancel the running tasks (Esc in the status bar)"));
    statusBar()->addPermanentWidget(totals_);
    statusBar()->addPermanentWidget(task_bar_);
    statusBar()->addPermanentWidget(cancel_);
    connect(cancel_, &QPushButton::clicked, ctx_->runner(), &TaskRunner::cancel_all);
    connect(ctx_->runner(), &TaskRunner::task_progress, this, &MainWindow::on_task_progress);
    connect(ctx_->runner(), &TaskRunner::task_started, this, &MainWindow::update_task_widgets);
    connect(ctx_->runner(), &TaskRunner::task_finished, this, &MainWindow::update_task_widgets);
    connect(inspector_, &InspectorPanel::filter_applied, this, [this](int matched) {
        statusBar()->showMessage(tr("%1 tensors shown").arg(QLocale().toString(matched)), 4000);
    });
    update_task_widgets();
    build_menus();
    statusBar()->showMessage(tr("Open a checkpoint: File ▸ Open (Ctrl+O), or drop a file or folder here."));
    fit_to_screen(QSize(1280, 800));
}

// A window larger than its screen cannot be moved or resized to fit (QT_SCALE_FACTOR=2 on
// a 1600×1000 screen opened 2560×1600): the size and the minimum size are capped by the
// screen's available area, and the panels' layouts squeeze (or scroll) below their hints.
void MainWindow::fit_to_screen(QSize wanted) {
    const QScreen* s = screen() ? screen() : QGuiApplication::primaryScreen();
    if (!s) return resize(wanted);
    const QSize room = s->availableGeometry().size() - QSize(16, 48);  // the window frame and title bar
    setMinimumSize(
        minimumSizeHint().boundedTo(room).expandedTo(QSize(320, 240)).boundedTo(s->availableGeometry().size()));
    resize(wanted.boundedTo(room.expandedTo(minimumSize())));
}

MainWindow::~MainWindow() { ctx_->runner()->cancel_all(); }

// Above the tabs: why the last open failed, in full and selectable (the status bar cut it off).
QWidget* MainWindow::build_open_error_pane() {
    open_error_pane_ = new QFrame(this);
    open_error_pane_->setObjectName("openErrorPane");
    open_error_pane_->setFrameShape(QFrame::StyledPanel);
    open_error_pane_->setStyleSheet("QFrame#openErrorPane { background: #fdecea; border: 1px solid #d9534f; }");
    open_error_title_ = new QLabel(open_error_pane_);
    open_error_title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    open_error_title_->setWordWrap(true);
    open_error_ = new QPlainTextEdit(open_error_pane_);
    open_error_->setObjectName("openError");
    open_error_->setReadOnly(true);
    open_error_->setMaximumHeight(QFontMetrics(open_error_->font()).lineSpacing() * 5 + 12);
    auto* copy = new QPushButton(tr("Copy"), open_error_pane_);
    connect(copy, &QPushButton::clicked, this,
            [this] { QGuiApplication::clipboard()->setText(open_error_->toPlainText()); });
    auto* dismiss = new QPushButton(tr("Dismiss"), open_error_pane_);
    connect(dismiss, &QPushButton::clicked, open_error_pane_, &QWidget::hide);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(copy);
    buttons->addWidget(dismiss);
    buttons->addStretch();
    auto* text = new QVBoxLayout;
    text->addWidget(open_error_title_);
    text->addWidget(open_error_);
    auto* layout = new QHBoxLayout(open_error_pane_);
    layout->addLayout(text, 1);
    layout->addLayout(buttons);
    open_error_pane_->hide();
    return open_error_pane_;
}

// A failed open closes the checkpoint that was open: the window then shows only the failure,
// under the failed path's name, and nothing on screen still describes the old model.
void MainWindow::show_open_error(const QString& path, const QString& error) {
    close_checkpoint();
    setWindowTitle(tr("%1 (could not open) — Strata Studio").arg(QFileInfo(path).fileName()));
    open_error_title_->setText(
        tr("<b>Could not open</b> %1 — the previous checkpoint was closed.").arg(path.toHtmlEscaped()));
    open_error_->setPlainText(error);
    open_error_pane_->show();
    statusBar()->showMessage(
        tr("Could not open %1 (the error is shown above the tabs)").arg(QFileInfo(path).fileName()));
}

void MainWindow::build_menus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open File…"), QKeySequence::Open, this, &MainWindow::open_file_dialog);
    file->addAction(tr("Open &Folder…"), QKeySequence(tr("Ctrl+Shift+O")), this, &MainWindow::open_folder_dialog);
    recent_menu_ = file->addMenu(tr("Open &Recent"));
    rebuild_recent_menu();
    file->addAction(tr("&Reload"), QKeySequence::Refresh, this, &MainWindow::reload);
    file->addAction(tr("&Close"), QKeySequence::Close, this, &MainWindow::close_checkpoint);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Filter Tensors"), QKeySequence::Find, this, [this] {
        tabs_->setCurrentWidget(inspector_);
        inspector_->focus_filter();
    });
    view->addAction(tr("&Expand All"), InspectorPanel::expand_all_keys(), inspector_, &InspectorPanel::expand_all);
    view->addAction(tr("&Collapse All"), InspectorPanel::collapse_all_keys(), inspector_,
                    &InspectorPanel::collapse_all);
    view->addSeparator();
    // Alt+1…9 live on the window, not in a menu: a hidden action's shortcut is disabled too.
    for (int i = 0; i < 9; ++i) {
        auto* a = new QAction(tr("Tab %1").arg(i + 1), this);
        a->setShortcut(QKeySequence(QStringLiteral("Alt+%1").arg(i + 1)));
        connect(a, &QAction::triggered, this, [this, i] {
            if (i < tabs_->count()) tabs_->setCurrentIndex(i);
        });
        addAction(a);
    }
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard Shortcuts"), QKeySequence::HelpContents, this, &MainWindow::show_shortcuts);
    help->addAction(tr("&About Strata Studio"), this, [this] {
        QMessageBox::about(this, tr("About Strata Studio"),
                           tr("<b>Strata Studio</b><p>Inspect, plan and convert LLM checkpoints. Every action is a "
                              "call into the Strata core that the <code>strata</code> CLI can also make.</p>"));
    });
}

void MainWindow::show_shortcuts() {
    QMessageBox::information(this, tr("Keyboard shortcuts"),
                             tr("<table>"
                                "<tr><td>Ctrl+O</td><td>Open a file</td></tr>"
                                "<tr><td>Ctrl+Shift+O</td><td>Open a folder</td></tr>"
                                "<tr><td>F5</td><td>Reload</td></tr>"
                                "<tr><td>Ctrl+W</td><td>Close the checkpoint</td></tr>"
                                "<tr><td>Ctrl+F</td><td>Filter tensors</td></tr>"
                                "<tr><td>Ctrl+E / Ctrl+Shift+E</td><td>Expand / collapse the tree</td></tr>"
                                "<tr><td>Alt+1…9</td><td>Switch tabs</td></tr>"
                                "<tr><td>Ctrl+Q</td><td>Quit</td></tr></table>"));
}

void MainWindow::open_file_dialog() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open checkpoint"), QString(),
                                                      tr("Checkpoints (*.safetensors *.json *.pt *.pth *.bin);;All files (*)"));
    if (!path.isEmpty()) open_path(path);
}

void MainWindow::open_folder_dialog() {
    const QString path = QFileDialog::getExistingDirectory(this, tr("Open checkpoint folder"));
    if (!path.isEmpty()) open_path(path);
}

void MainWindow::reload() {
    if (ctx_->current()) open_path(ctx_->current()->path);
}

void MainWindow::close_checkpoint() {
    ctx_->set_current(nullptr);
    totals_->clear();
    setWindowTitle(tr("Strata Studio"));
}

void MainWindow::open_path(const QString& path) {
    if (load_task_) load_task_->cancel.cancel();
    loading_ = true;
    const int gen = ++load_generation_;
    last_error_.clear();
    statusBar()->showMessage(tr("Opening %1…").arg(path));
    load_task_ = ctx_->runner()->run<Result<std::shared_ptr<LoadedCheckpoint>>>(
        tr("Opening %1").arg(QFileInfo(path).fileName()),
        [path](ProgressSink& p, const CancelToken& c) { return load_checkpoint(path, p, c); }, this,
        [this, gen, path](Result<std::shared_ptr<LoadedCheckpoint>> r) {
            if (gen != load_generation_) return;  // superseded by a later open
            loading_ = false;
            load_task_.reset();
            if (!r) {
                if (r.status().code() == StatusCode::Cancelled) return;
                last_error_ = QString::fromStdString(r.status().to_string());
                show_open_error(path, last_error_);
                emit load_finished(false);
                return;
            }
            open_error_pane_->hide();
            std::shared_ptr<LoadedCheckpoint> loaded = std::move(r).value();
            const auto& s = loaded->summary;
            add_recent(loaded->path);
            setWindowTitle(tr("%1 — Strata Studio").arg(QFileInfo(loaded->path).fileName()));
            totals_->setText(tr("%1 · %2 tensors · %3 params · %4")
                                 .arg(QString::fromStdString(s.format), QLocale().toString(qulonglong(s.tensor_count)),
                                      human_count(s.parameter_count), human_bytes(s.total_bytes)));
            statusBar()->showMessage(tr("Opened %1 in %2 ms").arg(loaded->path).arg(loaded->seconds * 1000, 0, 'f', 0), 8000);
            ctx_->set_current(std::move(loaded));
            emit load_finished(true);
        });
}

bool MainWindow::show_tab(const QString& name) {
    const QString want = name.toLower();
    if (want == "summary" || want == "tensor") {
        tabs_->setCurrentWidget(inspector_);
        QTabWidget* side = inspector_->side_tabs();
        side->setCurrentIndex(want == "summary" ? 0 : 1);
        return true;
    }
    for (int i = 0; i < tabs_->count(); ++i) {
        if (tabs_->widget(i)->objectName().toLower() == want) {
            tabs_->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

QStringList MainWindow::tab_names() const {
    QStringList names;
    for (int i = 0; i < tabs_->count(); ++i) names << tabs_->widget(i)->objectName();
    names << "summary" << "tensor";
    return names;
}

void MainWindow::start_shard_diff(const QString& a, const QString& b) {
    shard_diff_->set_sides(a, b);
    tabs_->setCurrentWidget(shard_diff_);
    shard_diff_->run();
}

void MainWindow::start_diff(const QString& a, const QString& b) {
    diff_->set_paths(a, b);
    tabs_->setCurrentWidget(diff_);
    diff_->run();
}

bool MainWindow::set_plan(const QString& spec) {
    static const std::pair<const char*, PlanAxis> kAxes[] = {{"tp", PlanAxis::Tp},   {"pp", PlanAxis::Pp},
                                                             {"ep", PlanAxis::Ep},   {"etp", PlanAxis::Etp},
                                                             {"cp", PlanAxis::Cp},   {"vpp", PlanAxis::Vpp},
                                                             {"dp", PlanAxis::Dp}};
    for (const QString& part : spec.split(',', Qt::SkipEmptyParts)) {
        const QStringList kv = part.split('=');
        if (kv.value(0).trimmed().toLower() == "pattern" && kv.size() == 2) {  // a hybrid pattern has no ',' or '='
            parallel_->pattern_edit()->setText(kv[1].trimmed());
            continue;
        }
        bool ok = false;
        const int value = kv.value(1).toInt(&ok);
        if (kv.value(0).trimmed().toLower() == "sp" && kv.size() == 2 && ok) {  // sequence parallel on/off
            parallel_->sequence_parallel()->setChecked(value != 0);
            continue;
        }
        QSpinBox* box = nullptr;
        for (const auto& [name, axis] : kAxes)
            if (kv.value(0).trimmed().toLower() == name) box = parallel_->spin(axis);
        if (kv.size() != 2 || !ok || !box) return false;
        box->setValue(value);
    }
    tabs_->setCurrentWidget(parallel_);
    return true;
}

QStringList MainWindow::recent_files() { return QSettings().value(kRecentKey).toStringList(); }

void MainWindow::add_recent(const QString& path) {
    QSettings settings;
    QStringList list = settings.value(kRecentKey).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    list.removeAll(abs);
    list.prepend(abs);
    while (list.size() > kMaxRecent) list.removeLast();
    settings.setValue(kRecentKey, list);
    rebuild_recent_menu();
}

void MainWindow::rebuild_recent_menu() {
    recent_menu_->clear();
    const QStringList list = recent_files();
    for (int i = 0; i < list.size(); ++i) {
        const QString p = list[i];
        QAction* a = recent_menu_->addAction(QStringLiteral("&%1 %2").arg((i + 1) % 10).arg(p), this, [this, p] { open_path(p); });
        a->setEnabled(QFileInfo::exists(p));
    }
    recent_menu_->setEnabled(!list.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    event->acceptProposedAction();
    open_path(urls.first().toLocalFile());
}

void MainWindow::on_task_progress(int, const QString& label, double fraction, const QString& phase,
                                  const QString& line) {
    task_bar_->setValue(int(fraction * 1000));
    task_bar_->setFormat(phase.isEmpty() ? QStringLiteral("%1 %p%").arg(label)
                                         : QStringLiteral("%1: %2").arg(label, line));
}

void MainWindow::update_task_widgets() {
    const bool busy = !ctx_->runner()->idle();
    task_bar_->setVisible(busy);
    cancel_->setVisible(busy);
    if (busy) {
        task_bar_->setValue(0);
        task_bar_->setFormat(ctx_->runner()->tasks().back()->label + QStringLiteral(" %p%"));
    }
}

}  // namespace strata::studio
