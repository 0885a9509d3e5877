public enum RLHFLabelModule {}
