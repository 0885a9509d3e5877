public enum RLHFDataModule {}
