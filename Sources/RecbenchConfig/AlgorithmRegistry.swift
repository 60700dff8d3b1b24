import RecbenchAlgorithms
import RecbenchNN

/// Every algorithm an experiment file can name. Adding an algorithm = one file with its config
/// plus one line here.
public enum AlgorithmRegistry {
    public static let all: [AlgorithmDescriptor] = [
        AlgorithmDescriptor(RandomRecommender.self),
        AlgorithmDescriptor(MostPopular.self),
        AlgorithmDescriptor(BiasBaseline.self),
        AlgorithmDescriptor(ItemKNN.self),
        AlgorithmDescriptor(UserKNN.self),
        AlgorithmDescriptor(ExplicitALS.self),
        AlgorithmDescriptor(ImplicitALS.self),
        AlgorithmDescriptor(BPR.self),
        AlgorithmDescriptor(EASE.self),
        AlgorithmDescriptor(SLIM.self),
        AlgorithmDescriptor(RP3Beta.self),
        AlgorithmDescriptor(LightGCN.self),
        AlgorithmDescriptor(MultVAE.self),
        AlgorithmDescriptor(PureSVD.self),
        AlgorithmDescriptor(FactorizationMachine.self),
        AlgorithmDescriptor(SASRec.self),
        AlgorithmDescriptor(GRU4Rec.self),
        AlgorithmDescriptor(BERT4Rec.self),
        AlgorithmDescriptor(NeuMF.self),
        AlgorithmDescriptor(AutoInt.self),
        AlgorithmDescriptor(DIN.self)
    ]

    public static func descriptor(named name: String) -> AlgorithmDescriptor? { all.first { $0.name == name } }
}
