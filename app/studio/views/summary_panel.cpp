#include "views/summary_panel.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "models/tensor_tree_model.h"

namespace strata::studio {

namespace {

void add_json(QTreeWidgetItem* parent, QTreeWidget* tree, const QString& key, const nlohmann::json& v) {
    auto* item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(tree);
    item->setText(0, key);
    if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) add_json(item, tree, QString::fromStdString(it.key()), it.value());
    } else if (v.is_array() && v.size() > 16) {
        item->setText(1, QObject::tr("[%1 items]").arg(v.size()));
        item->setToolTip(1, QString::fromStdString(v.dump()));
    } else {
        item->setText(1, QString::fromStdString(v.is_string() ? v.get<std::string>() : v.dump()));
    }
}

}  // namespace

SummaryPanel::SummaryPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    headline_ = new QLabel(this);
    headline_->setTextFormat(Qt::RichText);
    headline_->setWordWrap(true);
    facts_ = new QLabel(this);
    facts_->setTextFormat(Qt::RichText);
    facts_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    dtypes_ = new QTableWidget(0, 3, this);
    dtypes_->setObjectName("dtypeTable");
    dtypes_->setHorizontalHeaderLabels({tr("DType"), tr("Parameters"), tr("Share")});
    dtypes_->horizontalHeader()->setStretchLastSection(true);
    dtypes_->verticalHeader()->hide();
    dtypes_->setEditTriggers(QAbstractItemView::NoEditTriggers);

    config_ = new QTreeWidget(this);
    config_->setObjectName("configTree");
    config_->setHeaderLabels({tr("Config key"), tr("Value")});
    config_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    layout->addWidget(headline_);
    layout->addWidget(facts_);
    layout->addWidget(new QLabel(tr("<b>Parameters per dtype</b>"), this));
    layout->addWidget(dtypes_);
    layout->addWidget(new QLabel(tr("<b>Configuration</b>"), this));
    layout->addWidget(config_, 1);
    clear();
}

void SummaryPanel::clear() {
    headline_->setText(tr("<h3>No checkpoint</h3>Open a safetensors file or a checkpoint folder "
                          "(File ▸ Open, or drop it on the window)."));
    facts_->clear();
    dtypes_->setRowCount(0);
    config_->clear();
}

void SummaryPanel::show_summary(const QString& path, const CheckpointSummary& s, const nlohmann::json& config) {
    const QLocale loc;
    headline_->setText(tr("<h3>%1</h3>").arg(path.toHtmlEscaped()));
    QString model_type;
    if (s.config_summary.contains("model_type") && s.config_summary["model_type"].is_string())
        model_type = QString::fromStdString(s.config_summary["model_type"].get<std::string>());
    facts_->setText(tr("<table cellspacing=4>"
                       "<tr><td>Format</td><td><b>%1</b></td><td width=24></td><td>Model type</td><td><b>%2</b></td></tr>"
                       "<tr><td>Files</td><td><b>%3</b></td><td></td><td>Tensors</td><td><b>%4</b></td></tr>"
                       "<tr><td>Parameters</td><td><b>%5</b> (%6)</td><td></td><td>Bytes</td><td><b>%7</b></td></tr>"
                       "</table>")
                        .arg(QString::fromStdString(s.format), model_type.isEmpty() ? tr("—") : model_type)
                        .arg(s.file_count)
                        .arg(loc.toString(qulonglong(s.tensor_count)))
                        .arg(human_count(s.parameter_count), loc.toString(qulonglong(s.parameter_count)),
                             human_bytes(s.total_bytes)));
    dtypes_->setRowCount(int(s.parameters_by_dtype.size()));
    int row = 0;
    for (const auto& [dtype, count] : s.parameters_by_dtype) {
        dtypes_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(dtype)));
        auto* n = new QTableWidgetItem(loc.toString(qulonglong(count)));
        n->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        dtypes_->setItem(row, 1, n);
        auto* bar = new QProgressBar(dtypes_);
        bar->setRange(0, 1000);
        bar->setValue(s.parameter_count ? int(1000.0 * double(count) / double(s.parameter_count)) : 0);
        bar->setFormat(QStringLiteral("%1%").arg(100.0 * bar->value() / 1000.0, 0, 'f', 1));
        dtypes_->setCellWidget(row, 2, bar);
        ++row;
    }
    dtypes_->resizeColumnsToContents();
    dtypes_->setFixedHeight(dtypes_->horizontalHeader()->height() + 2 * dtypes_->frameWidth() +
                            dtypes_->verticalHeader()->length());
    config_->clear();
    if (config.is_object())
        for (auto it = config.begin(); it != config.end(); ++it)
            add_json(nullptr, config_, QString::fromStdString(it.key()), it.value());
    else
        new QTreeWidgetItem(config_, {tr("(no config.json)"), QString()});
}

}  // namespace strata::studio
