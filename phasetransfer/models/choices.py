"""Vocabularies shared by the core models (DfE and SEND Code of Practice terms)."""

from django.db import models


class Phase(models.TextChoices):
    RECEPTION = "reception", "Reception"
    JUNIOR = "junior", "Year 3 (junior)"
    SECONDARY = "secondary", "Year 7 (secondary)"
    POST16 = "post16", "Year 12 (post-16)"


# Age on 31 August before entry, for each phase: the usual year group.
PHASE_ENTRY_AGE = {Phase.RECEPTION: 4, Phase.JUNIOR: 7, Phase.SECONDARY: 11, Phase.POST16: 16}


class Need(models.TextChoices):
    """Primary need types of the DfE SEN2 return."""

    ASD = "ASD", "Autistic spectrum disorder"
    SLCN = "SLCN", "Speech, language and communication needs"
    SEMH = "SEMH", "Social, emotional and mental health"
    MLD = "MLD", "Moderate learning difficulty"
    SLD = "SLD", "Severe learning difficulty"
    PMLD = "PMLD", "Profound and multiple learning difficulty"
    PD = "PD", "Physical disability"
    HI = "HI", "Hearing impairment"
    VI = "VI", "Visual impairment"
    MSI = "MSI", "Multi-sensory impairment"
    SPLD = "SpLD", "Specific learning difficulty"


class SettingKind(models.TextChoices):
    MAINSTREAM_MAINTAINED = "mainstream_maintained", "Mainstream school (maintained)"
    MAINSTREAM_ACADEMY = "mainstream_academy", "Mainstream school (academy or free school)"
    SPECIAL = "special", "Special school"
    RESOURCED_PROVISION = "resourced_provision", "Specialist resourced provision (mainstream)"
    FE_COLLEGE = "fe_college", "FE or sixth-form college"
    NON_MAINTAINED_SPECIAL = "non_maintained_special", "Non-maintained special school"
    INDEPENDENT_S41 = "independent_s41", "Independent special school (s41 approved)"
    INDEPENDENT_OTHER = "independent_other", "Other independent school"

    @classmethod
    def mainstream(cls) -> set[str]:
        return {cls.MAINSTREAM_MAINTAINED, cls.MAINSTREAM_ACADEMY}

    @classmethod
    def independent(cls) -> set[str]:
        return {cls.INDEPENDENT_S41, cls.INDEPENDENT_OTHER, cls.NON_MAINTAINED_SPECIAL}


class ContactRelationship(models.TextChoices):
    PARENT = "parent", "Parent"
    CARER = "carer", "Carer"
    YOUNG_PERSON = "young_person", "The young person"
    OTHER = "other", "Other"


class ConsultationGround(models.TextChoices):
    """Section 39(4) Children and Families Act 2014: why a requested school may be refused."""

    UNSUITABLE = "unsuitable", "Unsuitable for the child's age, ability, aptitude or SEN"
    OTHERS = "others", "Incompatible with the efficient education of others"
    RESOURCES = "resources", "Incompatible with the efficient use of resources"


class SchoolGender(models.TextChoices):
    """Who a school admits, as GIAS records it (its "Gender (name)"); blank: not known."""

    BOYS = "boys", "Boys"
    GIRLS = "girls", "Girls"
    MIXED = "mixed", "Mixed"


class AdmissionsPolicy(models.TextChoices):
    """GIAS's "AdmissionsPolicy (name)": a selective (grammar) school admits by a test
    (in Kent, the Kent Test); blank: not known."""

    SELECTIVE = "selective", "Selective"
    NON_SELECTIVE = "non_selective", "Non-selective"


class Sex(models.TextChoices):
    """A child's sex, for single-sex schools; blank: not recorded."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
