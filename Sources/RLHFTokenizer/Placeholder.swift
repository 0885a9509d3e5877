public enum RLHFTokenizerModule {}
