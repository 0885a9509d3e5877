public enum RLHFModelModule {}
