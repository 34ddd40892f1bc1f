// Path drops on a text field: a local file or folder dropped on the field fills it with
// the path (and is not passed on to the window, which would open it as the checkpoint).
// Used by the fields that name a second checkpoint (Diff A/B, Forward A/B).
// Usage: accept_path_drops(b_edit);
#pragma once

class QLineEdit;

namespace strata::studio {

void accept_path_drops(QLineEdit* field);

}  // namespace strata::studio
