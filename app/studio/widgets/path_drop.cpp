#include "widgets/path_drop.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QLineEdit>
#include <QMimeData>
#include <QUrl>

namespace strata::studio {

namespace {

QString local_path(const QMimeData* mime) {
    const auto urls = mime ? mime->urls() : QList<QUrl>{};
    return !urls.isEmpty() && urls.first().isLocalFile() ? urls.first().toLocalFile() : QString();
}

class PathDropFilter : public QObject {
public:
    explicit PathDropFilter(QLineEdit* field) : QObject(field), field_(field) {}

    bool eventFilter(QObject* watched, QEvent* event) override {
        if (watched != field_) return false;
        if (event->type() == QEvent::DragEnter || event->type() == QEvent::DragMove) {
            auto* e = static_cast<QDropEvent*>(event);
            if (local_path(e->mimeData()).isEmpty()) return false;  // plain text: QLineEdit's own drop
            e->acceptProposedAction();
            return true;
        }
        if (event->type() == QEvent::Drop) {
            auto* e = static_cast<QDropEvent*>(event);
            const QString path = local_path(e->mimeData());
            if (path.isEmpty()) return false;
            e->acceptProposedAction();
            field_->setText(path);
            emit field_->textEdited(path);  // as if typed: panels that follow edits see it
            return true;
        }
        return false;
    }

private:
    QLineEdit* field_;
};

}  // namespace

void accept_path_drops(QLineEdit* field) {
    field->setAcceptDrops(true);
    field->installEventFilter(new PathDropFilter(field));
}

}  // namespace strata::studio
