// MainWindow: hosts the Studio's tabs (Inspector, and each later panel whose core
// feature exists), the File/View/Help menus with shortcuts, recent files
// (QSettings), drag and drop, and a status bar showing the running task with a
// Cancel button. Opening runs load_checkpoint in a TaskRunner worker; a failed open
// closes the old checkpoint and shows the full error above the tabs. The window starts
// no larger than its screen.
// Usage: MainWindow w; w.show(); w.open_path("model/");
#pragma once

#include <QMainWindow>

#include "studio_context.h"

class QFrame;
class QLabel;
class QPlainTextEdit;
class QMenu;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace strata::studio {

class ConvertPanel;
class DiffPanel;
class ForwardPanel;
class ParallelPanel;
class ShardDiffPanel;
class InspectorPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void open_path(const QString& path);
    bool loading() const { return loading_; }
    // Selects a tab by name, case-insensitive ("inspector", "summary", "tensor", "pattern", ...).
    bool show_tab(const QString& name);
    QStringList tab_names() const;
    QString last_error() const { return last_error_; }

    StudioContext* context() const { return ctx_; }
    InspectorPanel* inspector() const { return inspector_; }
    QTabWidget* tabs() const { return tabs_; }
    DiffPanel* diff() const { return diff_; }
    ParallelPanel* parallel() const { return parallel_; }
    ConvertPanel* convert() const { return convert_; }
    ForwardPanel* forward() const { return forward_; }
    ShardDiffPanel* shard_diff() const { return shard_diff_; }

    static QStringList recent_files();
    // Fills the Diff tab with A and B, shows it and starts the comparison.
    void start_diff(const QString& a, const QString& b);
    // Fills the Shard diff tab with layouts A and B, shows it and starts the comparison.
    void start_shard_diff(const QString& a, const QString& b);
    // Sets the Parallel tab's axes from "tp=2,pp=2,ep=4" (sp=1: sequence parallel; pattern=*-M-: the
    // hybrid pattern) and shows the tab; false on a bad spec.
    bool set_plan(const QString& spec);

signals:
    void load_finished(bool ok);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void build_menus();
    QWidget* build_open_error_pane();
    void show_open_error(const QString& path, const QString& error);
    void fit_to_screen(QSize wanted);
    void open_file_dialog();
    void open_folder_dialog();
    void reload();
    void close_checkpoint();
    void add_recent(const QString& path);
    void rebuild_recent_menu();
    void show_shortcuts();
    void on_task_progress(int id, const QString& label, double fraction, const QString& phase, const QString& line);
    void update_task_widgets();

    StudioContext* ctx_;
    QTabWidget* tabs_;
    InspectorPanel* inspector_;
    DiffPanel* diff_;
    ParallelPanel* parallel_;
    ConvertPanel* convert_;
    ForwardPanel* forward_;
    ShardDiffPanel* shard_diff_;
    QMenu* recent_menu_ = nullptr;
    QLabel* totals_;
    QFrame* open_error_pane_ = nullptr;
    QLabel* open_error_title_ = nullptr;
    QPlainTextEdit* open_error_ = nullptr;
    QProgressBar* task_bar_;
    QPushButton* cancel_;
    QString last_error_;
    bool loading_ = false;
    int load_generation_ = 0;
    TaskPtr load_task_;
};

}  // namespace strata::studio
