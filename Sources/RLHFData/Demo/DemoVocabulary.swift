/// The demo dataset's words: few enough (about 150 distinct words) that a tiny GPT-2 learns the
/// completions in a minute or two of CPU. Every sentiment word here is in `GoldScore`'s lists and no
/// other word is, so the gold score of a generated completion is decided by the choices in
/// `DemoCompletion` and nothing else.
enum DemoVocabulary {
    /// 16 colours x 24 items = 384 products.
    static let colors = ["red", "blue", "green", "black", "white", "grey", "yellow", "pink",
                         "orange", "purple", "brown", "silver", "gold", "navy", "teal", "cream"]
    static let items = ["kettle", "mug", "teapot", "lamp", "chair", "desk", "scarf", "jacket",
                        "backpack", "blender", "toaster", "pan", "bottle", "umbrella", "clock", "pillow",
                        "blanket", "speaker", "keyboard", "wallet", "kite", "notebook", "vase", "basket"]

    /// Prompt wordings; `{}` is the product. The first is TRL's classic positive-review task.
    static let promptTemplates = [
        "Write a short review of the {}:",
        "Review the {}:",
        "Write a review of the {}:",
        "What do you think of the {}?",
        "Describe the {} in a sentence or two:",
        "Give your opinion of the {}:",
        "How is the {}?",
        "Tell us about the {}:",
    ]

    static let positiveAdjectives = ["good", "great", "lovely", "nice", "sturdy", "perfect", "excellent", "solid",
                                     "handy", "comfortable", "reliable", "beautiful"]
    static let negativeAdjectives = ["bad", "poor", "awful", "cheap", "flimsy", "useless", "noisy", "terrible",
                                     "wobbly", "ugly", "weak", "broken"]
    /// Words that change nothing in the gold score: a model must learn to ignore them.
    static let intensifiers = ["very", "really", "quite", "so"]
    /// After "The {product}" or "It": one sentiment word each.
    static let positiveActions = ["works well", "does the job well", "is a good buy"]
    static let negativeActions = ["broke in a week", "leaks", "stopped working", "is a bad buy"]
    /// A second sentence about the writer's feeling: one sentiment word each.
    static let positiveFeelings = ["I love it", "I like it", "I am happy with it", "I am pleased with it", "I would recommend it"]
    static let negativeFeelings = ["I hate it", "I dislike it", "I am disappointed with it"]
    /// Sentences without sentiment: length that says nothing about quality.
    static let neutralSentences = ["I use it every day", "It came in a small box", "I bought it last month",
                                   "I got it as a gift", "It sits in the kitchen", "My sister has one too",
                                   "It arrived on time"]
}
