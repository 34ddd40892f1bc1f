// core_tests runs the device-conversion parity cases on the cpu backend.
#include "convert_device/device_parity.h"

strata::kernels::Backend& parity_backend() { return strata::kernels::cpu_backend(); }
