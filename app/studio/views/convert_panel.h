// ConvertPanel: the "Convert" tab: a drop zone (drop a checkpoint file or folder
// to open the ConvertDialog prefilled with it) and a button that converts the
// checkpoint open in the inspector. The dialog runs core convert_checkpoint.
// Usage: panel->open_dialog(path); connect(panel, &ConvertPanel::open_result, window, &MainWindow::open_path);
#pragma once

#include <QPointer>
#include <QWidget>

#include "dialogs/convert_dialog.h"
#include "studio_context.h"

class QLabel;

namespace strata::studio {



class ConvertPanel : public QWidget {
    Q_OBJECT
public:
    explicit ConvertPanel(StudioContext* ctx, QWidget* parent = nullptr);
    ConvertDialog* open_dialog(const QString& source);
    ConvertDialog* dialog() const { return dialog_; }
    QLabel* drop_zone() const { return zone_; }

signals:
    void open_result(const QString& path);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    StudioContext* ctx_;
    QLabel* zone_;
    QPointer<ConvertDialog> dialog_;
};

}  // namespace strata::studio
