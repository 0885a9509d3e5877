public enum RLHFStoreModule {}
