public enum RLHFTrainModule {}
