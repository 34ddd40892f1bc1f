#include "views/convert_panel.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QVBoxLayout>

#include "dialogs/convert_dialog.h"

namespace strata::studio {

ConvertPanel::ConvertPanel(StudioContext* ctx, QWidget* parent) : QWidget(parent), ctx_(ctx) {
    zone_ = new QLabel(tr("<h2>Drop a checkpoint here</h2>"
                          "<p>a safetensors file, a sharded HF folder or a Megatron checkpoint folder</p>"
                          "<p>to convert it: HF ⇄ Megatron (TP/PP/EP/ETP), HF fused experts, hybrid Mamba2</p>"
                          "<p>(the plan comes from the Parallel tab, attn_layers from the Pattern tab)</p>"),
                       this);
    zone_->setObjectName("convertDropZone");
    zone_->setAlignment(Qt::AlignCenter);
    zone_->setAcceptDrops(true);
    zone_->setMinimumHeight(260);
    zone_->setStyleSheet("QLabel#convertDropZone { border: 3px dashed #6a8caf; border-radius: 14px; "
                         "background: #f3f7fb; color: #2b4a66; }");
    zone_->installEventFilter(this);
    auto* current = new QPushButton(tr("Convert the open checkpoint…"), this);
    current->setEnabled(false);
    connect(current, &QPushButton::clicked, this, [this] {
        if (ctx_->current()) open_dialog(ctx_->current()->path);
    });
    connect(ctx_, &StudioContext::current_changed, current, [this, current] { current->setEnabled(bool(ctx_->current())); });
    auto* layout = new QVBoxLayout(this);
    layout->addStretch();
    layout->addWidget(zone_);
    layout->addWidget(current, 0, Qt::AlignHCenter);
    layout->addStretch();
}

ConvertDialog* ConvertPanel::open_dialog(const QString& source) {
    if (!dialog_) {
        dialog_ = new ConvertDialog(ctx_, this);
        dialog_->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog_, &ConvertDialog::open_result, this, &ConvertPanel::open_result);
    }
    if (!dialog_->running()) {
        dialog_->prefill_from_design();  // the plan and pattern as they are now
        dialog_->set_source(source);
    }
    dialog_->show();
    dialog_->raise();
    return dialog_;
}

bool ConvertPanel::eventFilter(QObject* watched, QEvent* event) {
    if (watched == zone_ && event->type() == QEvent::DragEnter) {
        auto* e = static_cast<QDragEnterEvent*>(event);
        if (!e->mimeData()->urls().isEmpty() && e->mimeData()->urls().first().isLocalFile()) e->acceptProposedAction();
        return true;
    }
    if (watched == zone_ && event->type() == QEvent::Drop) {
        auto* e = static_cast<QDropEvent*>(event);
        const auto urls = e->mimeData()->urls();
        if (urls.isEmpty() || !urls.first().isLocalFile()) return true;
        e->acceptProposedAction();
        open_dialog(urls.first().toLocalFile());
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

}  // namespace strata::studio
