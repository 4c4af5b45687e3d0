# Engine sources, for every build (natmod, user C module, firmware, host tests).
# Include with TML_ENGINE_DIR set to this directory.
TML_ENGINE_SRC := $(wildcard $(TML_ENGINE_DIR)/*.c) $(wildcard $(TML_ENGINE_DIR)/ops/*.c) \
    $(wildcard $(TML_ENGINE_DIR)/ops/arm/*.c) $(wildcard $(TML_ENGINE_DIR)/ops/portable/*.c)
TML_ENGINE_INC := $(TML_ENGINE_DIR)
